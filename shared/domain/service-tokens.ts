import { randomUUID } from 'node:crypto'
import type { Scopes } from '../auth/scopes.js'
import { config } from '../context.js'
import { getUser, type Role } from '../data/users.js'
import { DomainError, unauthenticated } from '../errors.js'
import { InvalidJws, signJws, verifyJws } from '../keys/jws.js'
import { SERVICE_TOKEN_SECONDS } from '../keys/jwt-keys.js'
import { describeError, log } from '../log.js'
import type { ServiceToken } from '../schemas/views.js'
import { enforceRate, verifyAccessToken } from './access-tokens.js'

export interface ServiceClaims {
  sub: string
  team: string
  role: Role
  jti: string
  /** The scopes of the personal token that minted it; null when that one had none. */
  scopes: Scopes
  /** Unix seconds. */
  exp: number
}

/**
 * Exchanges a personal access token (`key_secret`, whose id is `key_id`) of a user of
 * `team` for a one-hour service bearer token. Anything else is the same 401.
 */
export async function createServiceToken(
  team: string,
  keyId: string,
  keySecret: string,
  now = new Date(),
): Promise<ServiceToken> {
  const verified = await verifyAccessToken(keySecret, now, (error) =>
    log('warn', 'lastUsed not recorded', describeError(error)),
  )
  await enforceRate(verified, now) // the exchange is a use of the token, and counts
  const { token, recorded } = verified
  if (token.team !== team || String(token.id) !== keyId) {
    await recorded
    throw unauthenticated()
  }
  // The lastUsed write and the role lookup are independent: run them together.
  const [user] = await Promise.all([getUser(team, token.username), recorded])
  if (!user) throw unauthenticated()
  const iat = Math.floor(now.getTime() / 1000)
  const exp = iat + SERVICE_TOKEN_SECONDS
  const bearer = await signJws('JWT', {
    iss: config().jwt.issuer,
    sub: user.username,
    team,
    role: user.role,
    jti: randomUUID(),
    iat,
    exp,
    // A service token can do no more than the personal token that minted it.
    ...(token.scopes !== null && { scopes: token.scopes }),
  })
  return { bearer_token: bearer, expires_at: new Date(exp * 1000).toISOString(), team_name: team }
}

/**
 * Verifies a service bearer token with no database call: ES256 only (so `none` and
 * HMAC fail), a known `kid`, our issuer, unexpired, with every claim we rely on.
 */
export async function verifyServiceToken(jwt: string): Promise<ServiceClaims> {
  const known = verified.get(jwt)
  if (known) {
    if (Date.now() < known.expiresAt) return known.claims
    verified.delete(jwt)
  }
  try {
    const payload = await verifyJws('JWT', jwt, {
      issuer: config().jwt.issuer,
      requiredClaims: ['sub', 'team', 'role', 'jti', 'iat', 'exp'],
    })
    const { sub, team, role, jti, exp, scopes } = payload
    if (typeof sub !== 'string' || typeof team !== 'string' || typeof jti !== 'string')
      throw unauthenticated()
    if (!issuedPlausibly(payload)) throw unauthenticated()
    if (role !== 'admin' && role !== 'member') throw unauthenticated()
    if (!scopesClaim(scopes)) throw unauthenticated()
    const claims: ServiceClaims = { sub, team, role, jti, scopes: scopes ?? null, exp: Number(exp) }
    remember(jwt, claims, Number(exp) * 1000)
    return claims
  } catch (error) {
    if (error instanceof InvalidJws || error instanceof DomainError) throw unauthenticated()
    throw error // the keys could not be read: an outage, not a verdict on the token
  }
}

/** How far a token's `iat` may lie ahead of our clock (clock skew between hosts). */
export const IAT_LEEWAY_SECONDS = 60

/**
 * Defence in depth against a token made by a key holder outside this code (only the
 * service key can sign one): it may not be issued in the future beyond clock skew,
 * nor live longer than the hour we issue. jose has already checked `exp`, and `nbf`
 * when present.
 */
function issuedPlausibly({ iat, exp }: { iat?: unknown; exp?: unknown }, now = Date.now()) {
  if (typeof iat !== 'number' || typeof exp !== 'number') return false
  return iat <= now / 1000 + IAT_LEEWAY_SECONDS && exp - iat <= SERVICE_TOKEN_SECONDS
}

/** Absent, or a list of strings: anything else is not a token we signed. */
const scopesClaim = (value: unknown): value is string[] | undefined =>
  value === undefined || (Array.isArray(value) && value.every((scope) => typeof scope === 'string'))

/**
 * Tokens this container has verified, until they expire. Nothing about a verified
 * token can change before its `exp` (it is immutable, and a key is retired for
 * longer than a token lives), so a client's repeated calls cost one ES256 check per
 * container instead of one per request. Keyed by the whole token, signature included:
 * a token that differs in any byte is verified afresh. Bounded, oldest out first.
 */
const verified = new Map<string, { claims: ServiceClaims; expiresAt: number }>()
const VERIFIED_MAX = 1000

function remember(jwt: string, claims: ServiceClaims, expiresAt: number): void {
  if (verified.size >= VERIFIED_MAX) {
    const oldest = verified.keys().next()
    if (!oldest.done) verified.delete(oldest.value)
  }
  verified.set(jwt, { claims, expiresAt })
}
