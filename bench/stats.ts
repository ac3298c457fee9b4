/** Small statistics helpers for the benchmark: percentiles, spreads and CPU time. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  return sorted[Math.max(0, index)] ?? Number.NaN
}

/** One round of one task: latencies in ms, throughput, and this process's CPU per request. */
export interface Timing {
  p50: number
  p99: number
  rps: number
  /** User + system CPU of this whole process per request, in µs (client and server when both run here). */
  cpuUs: number
}

/** Runs `task` `count` times with `inFlight` concurrent workers; latencies in ms. */
export async function measure(
  task: () => Promise<unknown>,
  count: number,
  inFlight: number,
): Promise<Timing> {
  const samples: number[] = []
  let next = 0
  const cpu = process.cpuUsage()
  const started = performance.now()
  const worker = async () => {
    while (next++ < count) {
      const t0 = performance.now()
      await task()
      samples.push(performance.now() - t0)
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
  const elapsed = performance.now() - started
  const used = process.cpuUsage(cpu)
  samples.sort((a, b) => a - b)
  return {
    p50: round(percentile(samples, 50)),
    p99: round(percentile(samples, 99)),
    rps: Math.round((samples.length / elapsed) * 1000),
    cpuUs: Math.round((used.user + used.system) / samples.length),
  }
}

export const round = (value: number, digits = 2) => Number(value.toFixed(digits))

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return percentile(sorted, 50)
}

/** The spread of a figure over rounds or samples: every row reports all three. */
export interface Spread {
  min: number
  median: number
  max: number
}

export function spread(values: number[], digits = 2): Spread {
  const sorted = [...values].sort((a, b) => a - b)
  return {
    min: round(sorted[0] ?? Number.NaN, digits),
    median: round(percentile(sorted, 50), digits),
    max: round(sorted[sorted.length - 1] ?? Number.NaN, digits),
  }
}

/** Of several rounds of one task, the spread of each figure. */
export interface Rounds {
  p50: Spread
  p99: Spread
  rps: Spread
  cpuUs: Spread
}

export function rounds(runs: Timing[]): Rounds {
  return {
    p50: spread(runs.map((run) => run.p50)),
    p99: spread(runs.map((run) => run.p99)),
    rps: spread(
      runs.map((run) => run.rps),
      0,
    ),
    cpuUs: spread(
      runs.map((run) => run.cpuUs),
      0,
    ),
  }
}

/** "median (min-max)", for printed tables. */
export const show = (s: Spread) =>
  s.min === s.max ? `${s.median}` : `${s.median} (${s.min}-${s.max})`

/** Where a section prints its tables: the console in a run, Markdown for the README. */
export interface Report {
  log(text: string): void
  table(rows: Record<string, unknown>[]): void
}
