import { presentedCredential } from '../../auth/credentials.js'
import type { RateVerdict } from '../../data/rate-limits.js'
import { enforceRate, type TokenReads, verifyAccessToken } from '../../domain/access-tokens.js'
import { verifyServiceToken } from '../../domain/service-tokens.js'
import { unauthenticated } from '../../errors.js'
import { describeError, log } from '../../log.js'
import type { UserAuth } from '../../routes.js'
import type { Middleware } from '../event.js'

/** A rate-limited token's place in its window, on every answer (ASA's header names). */
export const rateLimitHeaders = (verdict: RateVerdict): Record<string, string> => ({
  'x-ratelimit-limit': String(verdict.limit),
  'x-ratelimit-remaining': String(verdict.remaining),
  'x-ratelimit-reset': String(verdict.reset),
})

/** Personal tokens never contain dots; a compact JWS always has exactly two. */
const looksLikeJwt = (credential: string) => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(credential)

/**
 * Establishes `event.caller` for routes that need one: from a personal access token
 * (one BatchGetItem: the token and its revocation mark, and for a route that checks a
 * role the user's item too; or, for a route that lists the caller's tokens, one Query
 * of their first page) or a service bearer token (no database call). Every failure is the
 * same 401. The `lastUsed` write runs alongside the handler and is awaited before the
 * response leaves, so Lambda never freezes with it in flight. (Agent routes have
 * their own: authenticate-agent.ts.)
 */
export function authenticateUser(kind: UserAuth, reads: TokenReads): Middleware {
  const settle: Middleware['after'] = async ({ internal }) => {
    await internal.recorded
  }
  return {
    name: 'authenticate',
    before: async ({ event, internal }) => {
      const credential = presentedCredential(event)
      if (credential === undefined && kind === 'optional') return
      if (!credential) throw unauthenticated()
      if (looksLikeJwt(credential)) {
        const claims = await verifyServiceToken(credential)
        event.caller = {
          kind: 'user',
          team: claims.team,
          username: claims.sub,
          credential: { type: 'service_token', jti: claims.jti, role: claims.role },
          scopes: claims.scopes,
        }
        return
      }
      const requestId = event.requestContext.requestId
      const now = new Date()
      const verified = await verifyAccessToken(
        credential,
        now,
        (error) =>
          log(
            'warn',
            'lastUsed not recorded',
            { requestId, ...describeError(error) },
            event.invocation,
          ),
        reads,
      )
      internal.recorded = verified.recorded
      if (verified.rate) event.responseHeaders = rateLimitHeaders(verified.rate)
      await enforceRate(verified, now)
      const { team, username, id, scopes } = verified.token
      event.caller = {
        kind: 'user',
        team,
        username,
        credential: {
          type: 'personal_token',
          tokenId: id,
          ...(verified.role && { role: verified.role }),
        },
        scopes,
        ...(verified.ownTokens && { ownTokens: verified.ownTokens }),
      }
    },
    after: settle,
    onError: settle,
  }
}
