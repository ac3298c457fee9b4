import type { APIGatewayProxyEventV2 } from 'aws-lambda'
import type { Caller } from '../../auth/caller.js'
import { batched, log } from '../../log.js'
import { putMetric } from '../../metrics.js'
import type { Middleware } from '../event.js'

/** Who, without secrets: a user, or an agent's project and token or server id (added to `fields`). */
function addCaller(fields: Record<string, unknown>, caller: Caller | undefined): void {
  switch (caller?.kind) {
    case 'user':
      fields.team = caller.team
      fields.user = caller.username
      return
    case 'enrollment':
      fields.team = caller.team
      fields.project = caller.project
      fields.enrollmentTokenId = caller.tokenId
      return
    case 'server':
      fields.team = caller.team
      fields.project = caller.project
      fields.serverId = caller.serverId
      return
  }
}

/**
 * Why a 401, from the shape of what was presented (never its value): no credential,
 * an unusable one, or which kind of token failed. The answer is the same 401 for all.
 */
export function authFailureReason(event: APIGatewayProxyEventV2, code: string): string {
  if (code === 'server_authorization_revoked') return 'revoked_server'
  // The transports of shared/auth/credentials.ts, read here without importing
  // authentication into the base stack (the fallback's bundle carries none).
  const header = event.headers?.authorization
  const credential =
    header !== undefined
      ? (/^Bearer[ ]+(\S+)[ ]*$/i.exec(header)?.[1] ?? '')
      : event.queryStringParameters?.token
  if (credential === undefined) return 'missing'
  if (/^[\w-]+\.[\w-]+\.[\w-]+$/.test(credential)) return 'service_token'
  if (credential.startsWith('lks_')) return 'server_token'
  if (credential.startsWith('lk_')) return 'personal_token'
  return /^[A-Za-z0-9+/]{20,}={0,2}$/.test(credential) ? 'enrollment_token' : 'malformed'
}

/** `2xx`, `4xx`...: made once, not per request. */
const STATUS_CLASSES = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx']
const statusClass = (status: number) =>
  STATUS_CLASSES[Math.floor(status / 100)] ?? `${Math.floor(status / 100)}xx`

const codeOf = (body: string | undefined) => {
  try {
    return String(JSON.parse(body ?? '{}').code ?? '')
  } catch {
    return ''
  }
}

/**
 * One line per request, and its metrics: `Requests` by route and status class,
 * `AuthFailures` by reason. Logs the route template and the path, never the
 * query string or headers: both may carry credentials.
 */
export function accessLog(): Middleware {
  const write: Middleware['after'] = ({ event, response, internal }) => {
    const status = response?.statusCode ?? 500
    const durationMs = Math.round(performance.now() - (internal.startedAt ?? 0))
    const route = event.routeKey
    const fields: Record<string, unknown> = {
      requestId: event.requestContext.requestId,
      method: event.requestContext.http.method,
      route,
      path: event.rawPath,
      status,
      durationMs,
    }
    addCaller(fields, event.caller)
    // The line and its metrics in one write (shared/log.ts).
    batched(() => {
      log('info', 'request', fields, event.invocation)
      // Latency is API Gateway's and Lambda's own metric already: only the count here.
      putMetric('Requests', { route, status_class: statusClass(status) })
      if (status === 401)
        putMetric('AuthFailures', { reason: authFailureReason(event, codeOf(response?.body)) })
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
