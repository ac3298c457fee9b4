/**
 * `npm run bench [-- --quick] [-- --only latency,scale]`: Latchkey against the floor
 * it cannot beat, one section per module (calls, latency, scale, crypto, events,
 * lifecycle, cold), all sharing bench/harness.ts and one DynamoDB Local. Prints tables and
 * writes bench/results.json for a full run of every section; anything else (quick,
 * or some sections) goes to bench/out/, which is not committed.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import type { BenchOptions } from './harness.js'
import type { LatencySelection } from './latency.js'

export const SECTIONS = [
  'calls',
  'latency',
  'scale',
  'crypto',
  'events',
  'lifecycle',
  'cold',
] as const
export type Section = (typeof SECTIONS)[number]

/** The calls section alone: deterministic, so `npm test` asserts it. */
export async function countCalls(options: Omit<BenchOptions, 'quick'>) {
  const { startBench } = await import('./harness.js')
  const { measureCalls } = await import('./calls.js')
  const bench = await startBench({ ...options, quick: true })
  try {
    return await measureCalls(bench)
  } finally {
    await bench.close()
  }
}

export async function runBench(
  options: BenchOptions & { only: readonly Section[]; latency?: LatencySelection; rounds?: number },
) {
  const { logAsDeployed, machine, sizes, startBench } = await import('./harness.js')
  const output = await logAsDeployed()
  const { report } = output
  const n = { ...sizes(options.quick), ...(options.rounds && { rounds: options.rounds }) }
  const wants = (section: Section) => options.only.includes(section)
  const results: Record<string, unknown> = {
    machine: { ...machine(), quick: options.quick, sections: options.only },
  }
  report.log(
    `Latchkey benchmark, ${JSON.stringify(results.machine)}${options.quick ? ' (quick: figures not meaningful)' : ''}`,
  )
  try {
    const onTheService = ['calls', 'latency', 'scale', 'events', 'lifecycle'] as const
    if (onTheService.some(wants)) {
      const bench = await startBench(options)
      try {
        if (wants('calls')) {
          const { measureCalls, printCalls } = await import('./calls.js')
          results.calls = await measureCalls(bench)
          printCalls(report, results.calls as Awaited<ReturnType<typeof measureCalls>>)
        }
        if (wants('latency')) {
          const {
            measureEnrollmentPaths,
            measureLatency,
            measureRateLimitRace,
            printEnrollmentPaths,
            printLatency,
            printRateLimitRace,
          } = await import('./latency.js')
          const latency = await measureLatency(bench, n, options.latency)
          printLatency(report, latency)
          Object.assign(results, { latency })
          // A narrowed run is about the hot-path table alone.
          if (!options.latency?.rows && !options.latency?.inFlight) {
            const enrollment = await measureEnrollmentPaths(bench, n)
            printEnrollmentPaths(report, enrollment)
            const rateLimitRace = await measureRateLimitRace(bench, n)
            printRateLimitRace(report, rateLimitRace)
            Object.assign(results, { enrollment, rateLimitRace })
          }
        }
        if (wants('scale')) {
          const { measureScale, printScale } = await import('./scale.js')
          results.scale = await measureScale(bench, n)
          printScale(report, results.scale as Awaited<ReturnType<typeof measureScale>>)
          const { measureProjectDelete, printProjectDelete } = await import('./scale.js')
          const projectDelete = await measureProjectDelete(bench, n)
          printProjectDelete(report, projectDelete)
          results.projectDelete = projectDelete
        }
        if (wants('events')) {
          const { measureEvents, printEvents } = await import('./events.js')
          results.events = await measureEvents(bench.app.sdk, n.events)
          printEvents(report, results.events as Awaited<ReturnType<typeof measureEvents>>)
        }
        // Last on the service: it seeds many tokens into the bench's table.
        if (wants('lifecycle')) {
          const { measureLifecycle, printLifecycle } = await import('./lifecycle.js')
          results.lifecycle = await measureLifecycle(bench, n)
          printLifecycle(report, results.lifecycle as Awaited<ReturnType<typeof measureLifecycle>>)
        }
      } finally {
        await bench.close()
      }
    }
    if (wants('crypto')) {
      const { measureCrypto, printCrypto } = await import('./crypto.js')
      results.crypto = await measureCrypto(n)
      printCrypto(report, results.crypto as Awaited<ReturnType<typeof measureCrypto>>)
    }
    // Last: it spawns processes and should not disturb the rest.
    if (wants('cold')) {
      const { measureColdStart, printColdStart } = await import('./cold-start.js')
      results.cold = await measureColdStart(n.coldRuns)
      printColdStart(report, results.cold as Awaited<ReturnType<typeof measureColdStart>>)
    }
  } finally {
    output.restore()
  }
  results.loadAverageAfter = machine().loadAverage
  return results
}

/** The value after `--name` or in `--name=value`, if given. */
function option(argv: readonly string[], name: string): string | undefined {
  const at = argv.findIndex((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`))
  const arg = argv[at]
  if (arg === undefined) return undefined
  return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[at + 1]
}

/**
 * The latency section narrowed: `--rows tokens-list,tokens-create` (row keys, see
 * bench/latency.ts), `--in-flight 16,64`, `--trace FILE` (every request's phases),
 * `--fresh-connections` (new load-client connections every round).
 */
export function parseLatencySelection(argv: readonly string[]): LatencySelection {
  const rows = option(argv, 'rows')?.split(',')
  const inFlight = option(argv, 'in-flight')?.split(',').map(Number)
  if (inFlight?.some((level) => !Number.isInteger(level) || level < 1))
    throw new Error('--in-flight takes whole numbers, e.g. 16,64')
  const traceFile = option(argv, 'trace')
  return {
    ...(rows && { rows }),
    ...(inFlight && { inFlight }),
    ...(traceFile && { traceFile }),
    ...(argv.includes('--fresh-connections') && { freshConnections: true }),
  }
}

/** `--only a,b` (or `--only a --only b`); every section when absent. */
export function parseSections(argv: readonly string[]): Section[] {
  const named = argv.flatMap((arg, i) =>
    arg === '--only'
      ? (argv[i + 1] ?? '').split(',')
      : arg.startsWith('--only=')
        ? arg.slice(7).split(',')
        : [],
  )
  for (const name of named)
    if (!SECTIONS.includes(name as Section))
      throw new Error(`unknown section '${name}': one of ${SECTIONS.join(', ')}`)
  return named.length ? (named as Section[]) : [...SECTIONS]
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  // Before any of the service's modules loads: its code gets the lean transport's own
  // commands, as deployed bundles and `npm start` do (local/lean-alias.ts).
  await import('../local/lean-alias.js')
  const argv = process.argv.slice(2)
  const quick = argv.includes('--quick')
  const only = parseSections(argv)
  const latency = parseLatencySelection(argv)
  const rounds = Number(option(argv, 'rounds') ?? 0)
  if (!Number.isInteger(rounds) || rounds < 0) throw new Error('--rounds takes a whole number')
  const results = await runBench({ quick, only, latency, rounds })
  const narrowed = rounds > 0 || Object.keys(latency).length > 0
  const complete = !quick && !narrowed && only.length === SECTIONS.length
  const file = complete
    ? 'bench/results.json'
    : `bench/out/results${quick ? '.quick' : ''}${narrowed ? '.narrowed' : ''}.${only.join('-')}.json`
  await mkdir('bench/out', { recursive: true })
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`)
  console.log(`\nwrote ${file}; the service's own log lines are in bench/out/service.log`)
}
