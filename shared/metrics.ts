import { service, writeLines } from './log.js'

/**
 * Metrics in CloudWatch Embedded Metric Format: one JSON line on stdout that
 * CloudWatch Logs turns into metrics, with no API call and no client in the bundle.
 * Namespace `Latchkey` (METRICS_NAMESPACE), every metric with the dimension
 * `service`. Written on Lambda (or with LATCHKEY_METRICS=emf); locally they would only
 * be noise beside the request lines, so they are dropped.
 */
export const namespace = process.env.METRICS_NAMESPACE || 'Latchkey'

export type Unit = 'Count' | 'Milliseconds'
export interface Metric {
  name: string
  value: number
  unit?: Unit
}

type Writer = (line: string) => void
/** Lines to stdout, where CloudWatch Logs reads them (gathered with a batch's log lines). */
export const stdoutMetrics: Writer = (line) => writeLines(`${line}\n`)
const enabled =
  Boolean(process.env.AWS_LAMBDA_FUNCTION_NAME) || process.env.LATCHKEY_METRICS === 'emf'
let writer: Writer | undefined = enabled ? stdoutMetrics : undefined

/** Where metric lines go: for tests, and for a local run that wants them. */
export function setMetricsWriter(next: Writer | undefined): void {
  writer = next
}

/** Every dimension set a metric is kept by (see `emf`), for these dimension names. */
function dimensionSets(keys: readonly string[]): string[][] {
  return [
    ['service', ...keys],
    ...(keys.length > 1 ? keys.map((key) => ['service', key]) : []),
    ...(keys.length > 0 ? [['service']] : []),
  ]
}

/** The `CloudWatchMetrics` directive for these metrics and dimension names. */
const directive = (metrics: readonly Metric[], keys: readonly string[]) => [
  {
    Namespace: namespace,
    Dimensions: dimensionSets(keys),
    Metrics: metrics.map(({ name, unit }) => ({ Name: name, Unit: unit ?? 'Count' })),
  },
]

/**
 * The EMF document: the metrics' values and dimensions as fields, and their directive.
 * Each metric is kept by all its dimensions, by each one alone and by `service` only,
 * so an alarm or graph can read a total (`AuthFailures` of any reason) without search.
 */
export function emf(
  metrics: readonly Metric[],
  dimensions: Record<string, string> = {},
  fields: Record<string, unknown> = {},
): Record<string, unknown> {
  const all = { service, ...dimensions }
  return {
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: directive(metrics, Object.keys(dimensions)),
    },
    ...fields,
    ...all,
    ...Object.fromEntries(metrics.map(({ name, value }) => [name, value])),
  }
}

const serviceJson = JSON.stringify(service)

/** A key JSON keeps in place (not an array index) and that no other key of the line replaces. */
const NAME = /^[A-Za-z_$][\w$]*$/

interface Directive {
  json: string
  /** Every key is a NAME, none is `_aws` or `service`, and no two are the same. */
  plain: boolean
}

/**
 * The directive as JSON, by metric names, units and dimension names: a request writes the
 * same few (`Requests` by route and status class), so each is serialised and checked once.
 */
const directives = new Map<string, Directive>()
function directiveOf(metrics: readonly Metric[], keys: readonly string[]): Directive {
  let id = keys.join(',')
  for (const { name, unit } of metrics) id += `|${name}:${unit ?? 'Count'}`
  let found = directives.get(id)
  if (found === undefined) {
    const names = [...keys, ...metrics.map(({ name }) => name)]
    found = {
      json: JSON.stringify(directive(metrics, keys)),
      plain:
        names.every((name) => NAME.test(name) && name !== '_aws' && name !== 'service') &&
        new Set(names).size === names.length,
    }
    // Bounded: dimension and metric names are the code's own, never a request's.
    if (directives.size < 1000) directives.set(id, found)
  }
  return found
}

/**
 * `JSON.stringify(emf(...))` without building the document: the directive serialised once,
 * then the dimensions and values in `emf`'s order. Anything else (fields, a key that would
 * replace another, a value that is not a string) takes `emf`'s own path.
 */
function emfLine(
  metrics: readonly Metric[],
  dimensions: Record<string, string>,
  fields: Record<string, unknown>,
): string {
  const keys = Object.keys(dimensions)
  const found = directiveOf(metrics, keys)
  let plain = found.plain
  for (const _ in fields) plain = false
  if (plain) {
    let line = `{"_aws":{"Timestamp":${Date.now()},"CloudWatchMetrics":${found.json}},"service":${serviceJson}`
    for (const key of keys) {
      const value: unknown = dimensions[key]
      if (typeof value !== 'string') return JSON.stringify(emf(metrics, dimensions, fields))
      line += `,"${key}":${JSON.stringify(value)}`
    }
    for (const { name, value } of metrics) {
      if (typeof value !== 'number') return JSON.stringify(emf(metrics, dimensions, fields))
      line += `,"${name}":${JSON.stringify(value)}`
    }
    return `${line}}`
  }
  return JSON.stringify(emf(metrics, dimensions, fields))
}

/** Writes one EMF line. */
export function putMetrics(
  metrics: readonly Metric[],
  dimensions: Record<string, string> = {},
  fields: Record<string, unknown> = {},
): void {
  if (metrics.length > 0 && writer) writer(emfLine(metrics, dimensions, fields))
}

/** One count: `putMetric('Enrollments')`, `putMetric('AuthFailures', { reason })`. */
export const putMetric = (name: string, dimensions: Record<string, string> = {}, value = 1) =>
  putMetrics([{ name, value }], dimensions)

/**
 * Hooks for code that limits or verifies: a request refused by a rate limit (the
 * password-grant lockout today; per-token limits too), and the outcome of a token
 * verification (`valid`, `invalid`, `expired`, `revoked`...).
 */
export const recordRateLimited = (limit: string) => putMetric('RateLimited', { limit })
export const recordVerifyOutcome = (outcome: string) => putMetric('VerifyOutcomes', { outcome })
