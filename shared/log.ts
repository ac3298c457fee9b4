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
import { isoTime } from './time.js'

export type Level = 'debug' | 'info' | 'warn' | 'error'

const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 }
const levelOf = (value: string | undefined): Level | undefined =>
  value && value.toLowerCase() in ORDER ? (value.toLowerCase() as Level) : undefined
let threshold = ORDER[levelOf(process.env.LOG_LEVEL) ?? 'info']
export const service = process.env.POWERTOOLS_SERVICE_NAME || 'latchkey'
/** Lambda's function name: fixed for the container, so read once (an env read is not free). */
const lambdaFunction = process.env.AWS_LAMBDA_FUNCTION_NAME
const sampleRate = Math.min(1, Math.max(0, Number(process.env.POWERTOOLS_LOGGER_SAMPLE_RATE) || 0))

/** Changes the level for the rest of this process (a test that reads the debug lines). */
export function setLogLevel(level: Level): void {
  threshold = ORDER[level]
}

/** What every line of one invocation carries. */
export interface InvocationContext {
  function_name?: string
  function_request_id?: string
  correlation_id?: string
  cold_start: boolean
  /** This invocation logs at debug (debug sampling). */
  sampled: boolean
  /** X-Ray's trace id, read once for the invocation (Lambda sets it before each). */
  xray_trace_id?: string
}

/**
 * The invocations running now. No AsyncLocalStorage: it turns on Node's promise hooks
 * for the whole process, so every promise of every request (the SDK makes dozens)
 * pays for it, about 4% of the service's CPU. Code that has its request at hand (the
 * middleware stack: the access log, error mapping, authentication) passes its
 * invocation explicitly; a line from deeper code takes the invocation running when it
 * is the only one: always on Lambda (one invocation at a time per container); when
 * several run at once (the local server), such a line carries none rather than
 * another request's ids.
 */
const running = new Set<InvocationContext>()
/** Functions that have run once in this process (one on Lambda; all of them locally). */
const warm = new Set<string>()

/** A correlation id a client may send: short and plain, or it is not used. */
const CORRELATION = /^[\w.:-]{1,128}$/

/**
 * X-Ray's trace id from `_X_AMZN_TRACE_ID` (Root=...;Parent=...;Sampled=...), which
 * Lambda sets before each invocation: read per invocation, and only on Lambda.
 */
function traceId(): string | undefined {
  const header = lambdaFunction ? process.env._X_AMZN_TRACE_ID : undefined
  return header ? (/Root=([^;]+)/.exec(header)?.[1] ?? header) : undefined
}

/**
 * One invocation's log context: the function, Lambda's request id, a correlation id
 * (the caller's `x-correlation-id` when it is plain, else `fallback`, the API's request
 * id), whether it is the function's first (cold) one, and its debug sample.
 */
export function invocationContext(context: {
  functionName?: string
  awsRequestId?: string
  correlationId?: string
  fallback?: string
}): InvocationContext {
  const name = lambdaFunction || context.functionName
  const key = name ?? ''
  const cold = !warm.has(key)
  warm.add(key)
  const correlation =
    context.correlationId && CORRELATION.test(context.correlationId)
      ? context.correlationId
      : context.fallback
  return {
    function_name: name,
    function_request_id: context.awsRequestId,
    correlation_id: correlation,
    cold_start: cold,
    sampled: sampleRate > 0 && Math.random() < sampleRate,
    xray_trace_id: traceId(),
  }
}

/**
 * Runs one invocation with its log context (see `invocationContext`); `run` receives
 * it, to pass to `log` where the request is at hand.
 */
export function withLogContext<T>(
  context: Parameters<typeof invocationContext>[0],
  run: (invocation: InvocationContext) => T,
): T {
  const invocation = invocationContext(context)
  running.add(invocation)
  try {
    const result = run(invocation)
    if (result instanceof Promise) return result.finally(() => running.delete(invocation)) as T
    running.delete(invocation)
    return result
  } catch (error) {
    running.delete(invocation)
    throw error
  }
}

/** The invocation a line without one of its own belongs to: the only one running, if so. */
function ambient(): InvocationContext | undefined {
  if (running.size !== 1) return undefined
  for (const invocation of running) return invocation
}

/**
 * Writes one line at `level`, with the invocation's keys: `invocation` where the
 * caller has its request at hand, else the one running (see `running`).
 */
export function log(
  level: Level,
  message: string,
  fields: Record<string, unknown> = {},
  invocation: InvocationContext | undefined = ambient(),
): void {
  if (ORDER[level] < threshold && invocation?.sampled !== true) return
  // Key by key in the line's order, rather than spreads' intermediate objects: a field
  // named like a key before it replaces that key's value in place, as a spread would.
  const entry: Record<string, unknown> = {
    level,
    time: isoTime(Date.now()),
    message,
    service,
  }
  if (invocation) {
    entry.cold_start = invocation.cold_start
    entry.function_name = invocation.function_name
    entry.function_request_id = invocation.function_request_id
    entry.correlation_id = invocation.correlation_id
  }
  entry.xray_trace_id = invocation ? invocation.xray_trace_id : traceId()
  if (sampleRate > 0) entry.sampling_rate = sampleRate
  for (const key in fields) entry[key] = fields[key]
  writeLines(`${JSON.stringify(entry)}\n`)
}

/** What the batch running has gathered (`batched`), or undefined when none runs. */
let pending: string | undefined

/** Writes whole lines to stdout: now, or at the end of the batch running. */
export function writeLines(text: string): void {
  if (pending === undefined) process.stdout.write(text)
  else pending += text
}

/**
 * Runs `run` (synchronous) with every line it writes to stdout, log lines and EMF metric
 * lines alike, gathered into one write at its end: a request's access-log line and its
 * metric line cost one write, not two (on Lambda, a syscall each). Nothing waits: the
 * write is done when `batched` returns, even if `run` throws.
 */
export function batched(run: () => void): void {
  if (pending !== undefined) {
    run()
    return
  }
  pending = ''
  try {
    run()
  } finally {
    const text = pending
    pending = undefined
    if (text) process.stdout.write(text)
  }
}

/** What of an error is safe to log: its class, message and stack, never attached payloads. */
export function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    return { errorName: error.name, errorMessage: error.message, stack: error.stack }
  }
  return { errorName: typeof error, errorMessage: String(error) }
}
