/** Small statistics helpers for the benchmark: percentiles over measured samples. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  return sorted[Math.max(0, index)] ?? Number.NaN
}

export interface Timing {
  p50: number
  p99: number
  rps: number
}

/** Runs `task` `count` times with `inFlight` concurrent workers; latencies in ms. */
export async function measure(
  task: () => Promise<unknown>,
  count: number,
  inFlight: number,
): Promise<Timing> {
  const samples: number[] = []
  let next = 0
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
  samples.sort((a, b) => a - b)
  return {
    p50: round(percentile(samples, 50)),
    p99: round(percentile(samples, 99)),
    rps: Math.round((samples.length / elapsed) * 1000),
  }
}

export const round = (value: number, digits = 2) => Number(value.toFixed(digits))

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return percentile(sorted, 50)
}

/** Of several runs of one task, the median of each figure. */
export function medianTiming(runs: Timing[]): Timing {
  return {
    p50: round(median(runs.map((run) => run.p50))),
    p99: round(median(runs.map((run) => run.p99))),
    rps: Math.round(median(runs.map((run) => run.rps))),
  }
}
