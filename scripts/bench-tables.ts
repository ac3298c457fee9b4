/**
 * The README's benchmark tables, rendered from `bench/results.json` (the last full
 * run of every section) by the bench's own print functions, as Markdown: the figures
 * quoted are exactly the figures measured, and `npm run docs:check` fails when the
 * README and the results differ.
 */
import { type ColdResult, printColdStart } from '../bench/cold-start.js'
import { type CryptoResult, printCrypto } from '../bench/crypto.js'
import { type EventsResult, printEvents } from '../bench/events.js'
import {
  type EnrollmentPaths,
  type LatencyRow,
  printEnrollmentPaths,
  printLatency,
  printRateLimitRace,
  type RateLimitRace,
} from '../bench/latency.js'
import { type LifecycleResult, printLifecycle } from '../bench/lifecycle.js'
import {
  type ProjectDeleteRow,
  printProjectDelete,
  printScale,
  type ScaleRow,
} from '../bench/scale.js'
import type { Report } from '../bench/stats.js'

type Row = Record<string, unknown>

const cell = (value: unknown) =>
  String(typeof value === 'object' && value !== null ? JSON.stringify(value) : (value ?? '-'))
    .replaceAll('|', '\\|')
    .replaceAll('\n', ' ')

/** A `Report` that writes Markdown: each line a paragraph, each table a pipe table. */
export function markdownReport(): Report & { text(): string } {
  const parts: string[] = []
  return {
    log(text) {
      parts.push(`*${text.trim()}*`)
    },
    table(rows) {
      const columns = [...new Set(rows.flatMap((row: Row) => Object.keys(row)))]
      parts.push(
        [
          `| ${columns.join(' | ')} |`,
          `| ${columns.map(() => '---').join(' | ')} |`,
          ...rows.map((row: Row) => `| ${columns.map((name) => cell(row[name])).join(' | ')} |`),
        ].join('\n'),
      )
    },
    text: () => parts.join('\n\n'),
  }
}

/** What a full run writes (bench/run.ts); each section as its module measured it. */
export interface BenchResults {
  machine: {
    cpus: number
    cpu: string
    node: string
    loadAverage?: number[]
    date: string
    quick: boolean
    sections?: string[]
  }
  loadAverageAfter?: number[]
  calls?: unknown[]
  latency?: LatencyRow[]
  enrollment?: EnrollmentPaths
  rateLimitRace?: RateLimitRace
  scale?: ScaleRow[]
  projectDelete?: ProjectDeleteRow[]
  crypto?: CryptoResult
  events?: EventsResult
  lifecycle?: LifecycleResult
  cold?: ColdResult
}

export function benchTables(results: BenchResults): string {
  const { machine } = results
  if (!machine.sections || machine.quick)
    return `No full run of the current bench is recorded (bench/results.json is from ${machine.date}, before the method changed): run \`npm run bench\`.`
  const report = markdownReport()
  report.log(
    `Run of ${machine.date.slice(0, 16).replace('T', ' ')} UTC: ${machine.cpus} × ${machine.cpu}, Node ${machine.node}, load average ${machine.loadAverage?.join(' / ') ?? '?'} before and ${results.loadAverageAfter?.join(' / ') ?? '?'} after (1, 5, 15 min).`,
  )
  // The calls section is asserted by `npm test` and its budgets are the table above.
  if (results.latency) printLatency(report, results.latency)
  if (results.enrollment) printEnrollmentPaths(report, results.enrollment)
  if (results.rateLimitRace) printRateLimitRace(report, results.rateLimitRace)
  if (results.cold) printColdStart(report, results.cold)
  if (results.scale) printScale(report, results.scale)
  if (results.projectDelete) printProjectDelete(report, results.projectDelete)
  if (results.crypto) printCrypto(report, results.crypto)
  if (results.events) printEvents(report, results.events)
  if (results.lifecycle) printLifecycle(report, results.lifecycle)
  return report.text()
}
