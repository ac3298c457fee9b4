import { service } from './log.js'

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
const stdout: Writer = (line) => process.stdout.write(`${line}\n`)
const enabled =
  Boolean(process.env.AWS_LAMBDA_FUNCTION_NAME) || process.env.LATCHKEY_METRICS === 'emf'
let writer: Writer | undefined = enabled ? stdout : undefined

/** Where metric lines go: for tests, and for a local run that wants them. */
export function setMetricsWriter(next: Writer | undefined): void {
  writer = next
}

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
  const keys = Object.keys(dimensions)
  const sets = [
    ['service', ...keys],
    ...(keys.length > 1 ? keys.map((key) => ['service', key]) : []),
    ...(keys.length > 0 ? [['service']] : []),
  ]
  return {
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: sets,
          Metrics: metrics.map(({ name, unit }) => ({ Name: name, Unit: unit ?? 'Count' })),
        },
      ],
    },
    ...fields,
    ...all,
    ...Object.fromEntries(metrics.map(({ name, value }) => [name, value])),
  }
}

/** Writes one EMF line. */
export function putMetrics(
  metrics: readonly Metric[],
  dimensions: Record<string, string> = {},
  fields: Record<string, unknown> = {},
): void {
  if (metrics.length > 0) writer?.(JSON.stringify(emf(metrics, dimensions, fields)))
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
