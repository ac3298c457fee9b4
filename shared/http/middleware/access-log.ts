import type { Caller } from '../../auth/caller.js'
import { log } from '../../log.js'
import type { Middleware } from '../event.js'

/** Who, without secrets: a user, or an agent's project and token or server id. */
function callerFields(caller: Caller | undefined) {
  switch (caller?.kind) {
    case 'user':
      return { team: caller.team, user: caller.username }
    case 'enrollment':
      return { team: caller.team, project: caller.project, enrollmentTokenId: caller.tokenId }
    case 'server':
      return { team: caller.team, project: caller.project, serverId: caller.serverId }
    default:
      return {}
  }
}

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
      ...callerFields(event.caller),
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
