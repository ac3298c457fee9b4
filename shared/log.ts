/**
 * Structured JSON logs, one line each. Callers pass fields explicitly: there is no
 * "log the whole event" helper, because events carry credentials (headers, `?token=`).
 */
type Level = 'debug' | 'info' | 'warn' | 'error'

const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 }
const threshold = ORDER[(process.env.LOG_LEVEL as Level | undefined) ?? 'info'] ?? ORDER.info

export function log(level: Level, message: string, fields: Record<string, unknown> = {}): void {
  if (ORDER[level] < threshold) return
  const line = JSON.stringify({ level, time: new Date().toISOString(), message, ...fields })
  process.stdout.write(`${line}\n`)
}

/** What of an error is safe to log: its class, message and stack, never attached payloads. */
export function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    return { errorName: error.name, errorMessage: error.message, stack: error.stack }
  }
  return { errorName: typeof error, errorMessage: String(error) }
}
