import { log } from '../../log.js'
import type { Middleware } from '../event.js'

/**
 * One line per request. Logs the route template and the path, never the query
 * string or headers: both may carry credentials.
 */
export function accessLog(): Middleware {
  const write: Middleware['after'] = ({ event, response, internal }) => {
    log('info', 'request', {
      requestId: event.requestContext.requestId,
      method: event.requestContext.http.method,
      route: event.routeKey,
      path: event.rawPath,
      status: response?.statusCode,
      durationMs: Math.round(performance.now() - (internal.startedAt ?? 0)),
      team: event.caller?.team,
      user: event.caller?.username,
    })
  }
  return {
    name: 'accessLog',
    before: ({ internal }) => {
      internal.startedAt = performance.now()
    },
    after: write,
    onError: write,
  }
}
