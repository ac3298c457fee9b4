/**
 * `npm run bench [-- --quick] [-- --only latency,scale]`: Latchkey against the floor
 * it cannot beat, one section per module (calls, latency, scale, crypto, events,
 * lifecycle, cold), all sharing bench/harness.ts and one DynamoDB Local. Prints tables and
 * writes bench/results.json for a full run of every section; anything else (quick,
 * or some sections) goes to bench/out/, which is not committed.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import type { BenchOptions } from './harness.js'

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

export async function runBench(options: BenchOptions & { only: readonly Section[] }) {
  const { logAsDeployed, machine, sizes, startBench } = await import('./harness.js')
  const output = await logAsDeployed()
  const { report } = output
  const n = sizes(options.quick)
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
          const latency = await measureLatency(bench, n)
          printLatency(report, latency)
          const enrollment = await measureEnrollmentPaths(bench, n)
          printEnrollmentPaths(report, enrollment)
          const rateLimitRace = await measureRateLimitRace(bench, n)
          printRateLimitRace(report, rateLimitRace)
          Object.assign(results, { latency, enrollment, rateLimitRace })
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
          results.events = await measureEvents(bench.app.dynamo, n.events)
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
  const argv = process.argv.slice(2)
  const quick = argv.includes('--quick')
  const only = parseSections(argv)
  const results = await runBench({ quick, only })
  const complete = !quick && only.length === SECTIONS.length
  const file = complete
    ? 'bench/results.json'
    : `bench/out/results${quick ? '.quick' : ''}.${only.join('-')}.json`
  await mkdir('bench/out', { recursive: true })
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`)
  console.log(`\nwrote ${file}; the service's own log lines are in bench/out/service.log`)
}
