import { invalidRequest } from '../../errors.js'
import type { Middleware } from '../event.js'

/**
 * A path parameter that is `.` or `..` (sent as such or encoded, `%2e%2e`) is 400,
 * before anything else reads it: a client that builds `.../servers/${id}` from an
 * untrusted id must never reach another resource, whatever a proxy in front of us
 * makes of dot segments.
 */
export function rejectDotSegments(): Middleware {
  return {
    name: 'rejectDotSegments',
    before: ({ event }) => {
      for (const [name, value] of Object.entries(event.pathParameters ?? {})) {
        if (value === '.' || value === '..')
          throw invalidRequest(`Invalid path: ${name} may not be "${value}".`, [
            { description: name, message: 'may not be "." or ".."' },
          ])
      }
    },
  }
}
