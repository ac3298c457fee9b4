import type { Middleware } from '../event.js'

/**
 * Lower-cases header names. API Gateway's payload 2.0 already does; this keeps
 * other callers (tests, other proxies) from depending on that.
 */
export function normalizeHeaders(): Middleware {
  return {
    name: 'normalizeHeaders',
    before: ({ event }) => {
      const headers: Record<string, string> = {}
      for (const [name, value] of Object.entries(event.headers ?? {})) {
        if (value !== undefined) headers[name.toLowerCase()] = value
      }
      event.headers = headers
    },
  }
}
