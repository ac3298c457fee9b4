import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda'
import { verifyToken } from '../domain/verify.js'
import { tooManyRequests } from '../errors.js'
import { errorHeaders } from '../http/errors.js'
import { describeError, log } from '../log.js'

/**
 * The authorizer for the user's own HTTP APIs (API.md, Authorizer): Latchkey's verify,
 * the very same code, in front of someone else's routes. It decides; the adapters turn
 * the decision into API Gateway's answer (authorizer/handler.ts) or the local server's.
 */
export interface AuthorizerOptions {
  /** The team whose tokens are accepted; any other team's token is unknown here. */
  team: string
  /** Scopes each route needs, by API Gateway route key (`GET /orders`); others need none. */
  routeScopes: Record<string, readonly string[]>
  /** How long a positive answer may be reused (API Gateway's result cache too); 0: never. */
  cacheTtlSeconds: number
  /** Also take the token from this query parameter when there is no Authorization header. */
  queryParameter?: string
}

/** What the integration receives as `requestContext.authorizer.lambda`. */
export interface AuthorizerContext {
  team: string
  user: string
  tokenId: string
  kind: string
  /** Space-separated (authorizer context values are strings, numbers or booleans). */
  scopes: string
}

export type AuthorizerDecision =
  | { status: 200; context: AuthorizerContext }
  | { status: 401 | 403 | 429; headers: Record<string, string> }

type Event = Pick<
  APIGatewayRequestAuthorizerEventV2,
  'routeKey' | 'headers' | 'queryStringParameters'
>

function credentialOf(event: Event, queryParameter: string | undefined): string | undefined {
  const header = event.headers?.authorization ?? event.headers?.Authorization
  if (header !== undefined) return /^Bearer[ ]+(\S+)[ ]*$/i.exec(header)?.[1]
  return queryParameter ? event.queryStringParameters?.[queryParameter] : undefined
}

const MAX_CACHED = 1000

/**
 * Builds the decision function. Positive answers for tokens without a rate limit are
 * kept in the container for `cacheTtlSeconds` at most (and never past the token's own
 * expiry), keyed by token and route: a hit costs no call. A token with a rate limit is
 * counted on every request, so it is never served from this cache. Revocation bound:
 * a deleted token may pass for at most the TTL, here as in API Gateway's cache.
 */
export function createAuthorizer(options: AuthorizerOptions, clock = () => new Date()) {
  const cache = new Map<string, { context: AuthorizerContext; until: number }>()
  const ttlMs = options.cacheTtlSeconds * 1000

  return async function decide(event: Event): Promise<AuthorizerDecision> {
    const now = clock()
    const token = credentialOf(event, options.queryParameter)
    if (!token) return { status: 401, headers: {} }
    const key = `${event.routeKey}\n${token}`
    const hit = cache.get(key)
    if (hit && hit.until > now.getTime()) return { status: 200, context: hit.context }
    if (hit) cache.delete(key)

    const wanted = options.routeScopes[event.routeKey] ?? []
    const verdict = await verifyToken(options.team, token, wanted, now, (error) =>
      log('warn', 'lastUsed not recorded', describeError(error)),
    )
    await verdict.recorded
    const rateHeaders: Record<string, string> = verdict.ratelimit
      ? {
          'x-ratelimit-limit': String(verdict.ratelimit.limit),
          'x-ratelimit-remaining': String(verdict.ratelimit.remaining),
          'x-ratelimit-reset': String(verdict.ratelimit.reset),
        }
      : {}
    if (verdict.code === 'INSUFFICIENT_SCOPE') return { status: 403, headers: {} }
    if (verdict.code === 'RATE_LIMITED' && verdict.ratelimit) {
      // Latchkey's own 429, headers and all: both forms of the same moment.
      const refusal = tooManyRequests('rate limited', verdict.ratelimit.reset * 1000, now.getTime())
      return { status: 429, headers: { ...rateHeaders, ...errorHeaders(refusal) } }
    }
    if (!verdict.valid || !verdict.token) return { status: 401, headers: {} }
    const { team, user, id, kind, scopes } = verdict.token
    const context: AuthorizerContext = {
      team,
      user: user ?? '',
      tokenId: id,
      kind,
      scopes: (scopes ?? []).join(' '),
    }
    if (ttlMs > 0 && !verdict.ratelimit) {
      const expires = verdict.token.expiresAt ? Date.parse(verdict.token.expiresAt) : Infinity
      if (cache.size >= MAX_CACHED) {
        const oldest = cache.keys().next()
        if (!oldest.done) cache.delete(oldest.value)
      }
      cache.set(key, { context, until: Math.min(now.getTime() + ttlMs, expires) })
    }
    return { status: 200, context }
  }
}
