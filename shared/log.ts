import { AsyncLocalStorage } from 'node:async_hooks'

/**
 * Structured JSON logs, one line each, with the keys of Powertools for AWS Lambda's
 * Logger (`service`, `cold_start`, `function_name`, `function_request_id`,
 * `correlation_id`, `xray_trace_id`, `sampling_rate`), in 2 KB instead of its 23 KB
 * (see README, Operating Latchkey). Callers pass fields explicitly: there is no "log
 * the whole event" helper, because events carry credentials (headers, `?token=`).
 *
 * Settings, read once at cold start: LOG_LEVEL (debug, info, warn, error; default
 * info), POWERTOOLS_SERVICE_NAME (default latchkey), POWERTOOLS_LOGGER_SAMPLE_RATE
 * (0-1: that share of invocations logs at debug whatever the level).
 */
export type Level = 'debug' | 'info' | 'warn' | 'error'

const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 }
const levelOf = (value: string | undefined): Level | undefined =>
  value && value.toLowerCase() in ORDER ? (value.toLowerCase() as Level) : undefined
let threshold = ORDER[levelOf(process.env.LOG_LEVEL) ?? 'info']
export const service = process.env.POWERTOOLS_SERVICE_NAME || 'latchkey'
const sampleRate = Math.min(1, Math.max(0, Number(process.env.POWERTOOLS_LOGGER_SAMPLE_RATE) || 0))

/** Changes the level for the rest of this process (a test that reads the debug lines). */
export function setLogLevel(level: Level): void {
  threshold = ORDER[level]
}

/** What every line of one invocation carries. */
interface InvocationContext {
  function_name?: string
  function_request_id?: string
  correlation_id?: string
  cold_start: boolean
  /** This invocation logs at debug (debug sampling). */
  sampled: boolean
}

const invocation = new AsyncLocalStorage<InvocationContext>()
/** Functions that have run once in this process (one on Lambda; all of them locally). */
const warm = new Set<string>()

/** A correlation id a client may send: short and plain, or it is not used. */
const CORRELATION = /^[\w.:-]{1,128}$/

/**
 * Runs one invocation with its log context: the function, Lambda's request id, a
 * correlation id (the caller's `x-correlation-id` when it is plain, else `fallback`,
 * the API's request id), whether it is the function's first (cold) one, and its
 * debug sample.
 */
export function withLogContext<T>(
  context: {
    functionName?: string
    awsRequestId?: string
    correlationId?: string
    fallback?: string
  },
  run: () => T,
): T {
  const name = process.env.AWS_LAMBDA_FUNCTION_NAME || context.functionName
  const key = name ?? ''
  const cold = !warm.has(key)
  warm.add(key)
  const correlation =
    context.correlationId && CORRELATION.test(context.correlationId)
      ? context.correlationId
      : context.fallback
  return invocation.run(
    {
      function_name: name,
      function_request_id: context.awsRequestId,
      correlation_id: correlation,
      cold_start: cold,
      sampled: sampleRate > 0 && Math.random() < sampleRate,
    },
    run,
  )
}

/** X-Ray's trace id from Lambda's `_X_AMZN_TRACE_ID` (Root=...;Parent=...;Sampled=...). */
function traceId(): string | undefined {
  const header = process.env._X_AMZN_TRACE_ID
  return header ? (/Root=([^;]+)/.exec(header)?.[1] ?? header) : undefined
}

function logs(level: Level): boolean {
  return ORDER[level] >= threshold || invocation.getStore()?.sampled === true
}

export function log(level: Level, message: string, fields: Record<string, unknown> = {}): void {
  if (!logs(level)) return
  const context = invocation.getStore()
  const line = JSON.stringify({
    level,
    time: new Date().toISOString(),
    message,
    service,
    ...(context && {
      cold_start: context.cold_start,
      function_name: context.function_name,
      function_request_id: context.function_request_id,
      correlation_id: context.correlation_id,
    }),
    xray_trace_id: traceId(),
    ...(sampleRate > 0 && { sampling_rate: sampleRate }),
    ...fields,
  })
  process.stdout.write(`${line}\n`)
}

/** What of an error is safe to log: its class, message and stack, never attached payloads. */
export function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    return { errorName: error.name, errorMessage: error.message, stack: error.stack }
  }
  return { errorName: typeof error, errorMessage: String(error) }
}
