import type { Middleware } from '../event.js'

/** Whether every name is lower-case and every value present: as payload 2.0 delivers them. */
function normalized(headers: Record<string, string | undefined>): boolean {
  for (const name in headers) {
    if (headers[name] === undefined || name !== name.toLowerCase()) return false
  }
  return true
}

/**
 * Lower-cases header names. API Gateway's payload 2.0 already does (and then the headers
 * are kept as they are, not copied); this keeps other callers (tests, other proxies)
 * from depending on that.
 */
export function normalizeHeaders(): Middleware {
  return {
    name: 'normalizeHeaders',
    before: ({ event }) => {
      if (event.headers && normalized(event.headers)) return
      const headers: Record<string, string> = {}
      for (const [name, value] of Object.entries(event.headers ?? {})) {
        if (value !== undefined) headers[name.toLowerCase()] = value
      }
      event.headers = headers
    },
  }
}
