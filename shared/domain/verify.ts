import { beyondRole, needsAdmin, notHeld, type Scopes } from '../auth/scopes.js'
import type { AccessTokenRecord } from '../data/access-tokens.js'
import type { RateVerdict } from '../data/rate-limits.js'
import { getRevokedServerHash, getServer } from '../data/servers.js'
import { getUser, type Role } from '../data/users.js'
import { DomainError } from '../errors.js'
import type { VerificationView, View } from '../schemas/views.js'
import { hashesMatch, sha256 } from '../tokens/crypto.js'
import { parseServerToken } from '../tokens/server-token.js'
import { findAccessToken, secretMatches, useAccessToken } from './access-tokens.js'
import { verifyServiceToken } from './service-tokens.js'

/** Verify's outcomes (API.md, Verify). */
export type VerifyCode =
  | 'VALID'
  | 'NOT_FOUND'
  | 'EXPIRED'
  | 'REVOKED'
  | 'INSUFFICIENT_SCOPE'
  | 'RATE_LIMITED'

export type TokenKind = 'personal' | 'service' | 'server'

/** Who a genuine token is. Server tokens add their project and server id. */
export interface TokenIdentity {
  id: string
  kind: TokenKind
  name: string | null
  team: string
  user: string | null
  /** Null: a token made without scopes (everything its user's role allows on Latchkey). */
  scopes: Scopes
  meta: Record<string, unknown> | null
  expiresAt: string | null
  project?: string
  server?: string
}

export interface Verification {
  valid: boolean
  code: VerifyCode
  /** Only for a genuine token (valid, or refused for scope or rate): an invalid one reveals nothing. */
  token?: TokenIdentity
  ratelimit?: { limit: number; remaining: number; reset: number }
  /** Settles when the verified token's lastUsed write is done (never rejects). */
  recorded: Promise<void>
}

const done = Promise.resolve()
const refused = (code: 'NOT_FOUND' | 'EXPIRED' | 'REVOKED'): Verification => ({
  valid: false,
  code,
  recorded: done,
})

/** Personal tokens never contain dots; a compact JWS always has exactly two. */
export const looksLikeJwt = (text: string) => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(text)

/**
 * Whether a token's holder may have `wanted`: its scopes, and for an admin-only scope
 * the user's current role (read only then, unless the credential carries it).
 */
async function scopeMiss(
  scopes: Scopes,
  wanted: readonly string[],
  owner: { team: string; username: string; role?: Role },
): Promise<boolean> {
  if (notHeld(scopes, wanted) !== undefined) return true
  if (!needsAdmin(wanted)) return false
  const role = owner.role ?? (await getUser(owner.team, owner.username))?.role
  return !role || beyondRole(wanted, role) !== undefined
}

const personalIdentity = (token: AccessTokenRecord): TokenIdentity => ({
  id: String(token.id),
  kind: 'personal',
  name: token.name,
  team: token.team,
  user: token.username,
  scopes: token.scopes,
  meta: token.meta,
  expiresAt: token.expiresAt,
})

const ratelimitOf = (rate: RateVerdict) => ({
  limit: rate.limit,
  remaining: rate.remaining,
  reset: rate.reset,
})

async function verifyPersonal(
  team: string,
  presented: string,
  wanted: readonly string[],
  now: Date,
  onTouchError: (error: unknown) => void,
): Promise<Verification> {
  const token = await findAccessToken(presented, now, team)
  if (typeof token === 'string') return refused(token)
  const identity = personalIdentity(token)
  if (await scopeMiss(token.scopes, wanted, token))
    return { valid: false, code: 'INSUFFICIENT_SCOPE', token: identity, recorded: done }
  const { rate, recorded } = await useAccessToken(token, now, onTouchError)
  const ratelimit = rate && ratelimitOf(rate)
  if (rate && !rate.allowed)
    return { valid: false, code: 'RATE_LIMITED', token: identity, ratelimit, recorded }
  return { valid: true, code: 'VALID', token: identity, ...(ratelimit && { ratelimit }), recorded }
}

/** A service JWT: no database call. Any JWT that does not verify is simply not ours. */
async function verifyService(
  team: string,
  presented: string,
  wanted: readonly string[],
): Promise<Verification> {
  const claims = await verifyServiceToken(presented).catch((error) => {
    if (error instanceof DomainError) return undefined
    throw error // the keys could not be read: an outage, not a verdict
  })
  if (!claims || claims.team !== team) return refused('NOT_FOUND')
  const identity: TokenIdentity = {
    id: claims.jti,
    kind: 'service',
    name: null,
    team,
    user: claims.sub,
    scopes: claims.scopes,
    meta: null,
    expiresAt: new Date(claims.exp * 1000).toISOString(),
  }
  const owner = { team, username: claims.sub, role: claims.role }
  if (await scopeMiss(claims.scopes, wanted, owner))
    return { valid: false, code: 'INSUFFICIENT_SCOPE', token: identity, recorded: done }
  return { valid: true, code: 'VALID', token: identity, recorded: done }
}

/**
 * An enrolled server's token: one BatchGetItem of the server and its project in the
 * verifying team's partition (another team's token is looked for where it cannot be);
 * a project being deleted revokes its servers' tokens, and a missing server's deletion
 * record tells a revoked token (the genuine secret of a deleted server) from an unknown one.
 */
async function verifyServer(
  team: string,
  presented: string,
  wanted: readonly string[],
  now: Date,
): Promise<Verification> {
  const parsed = parseServerToken(presented)
  if (!parsed) return refused('NOT_FOUND')
  const hash = sha256(parsed.secret)
  const { server, open } = await getServer(team, parsed.project, parsed.id)
  if (server && !open) {
    // Its project is being deleted: the server's own secret is revoked, others unknown.
    const genuine = parsed.team === team && secretMatches(server, hash, now)
    return refused(genuine ? 'REVOKED' : 'NOT_FOUND')
  }
  if (!server) {
    const revoked = await getRevokedServerHash(team, parsed.project, parsed.id)
    const genuine = revoked !== undefined && parsed.team === team && hashesMatch(revoked, hash)
    return refused(genuine ? 'REVOKED' : 'NOT_FOUND')
  }
  if (parsed.team !== server.team || !secretMatches(server, hash, now)) return refused('NOT_FOUND')
  const identity: TokenIdentity = {
    id: server.id,
    kind: 'server',
    name: server.hostname,
    team,
    user: null,
    scopes: [], // a server's token opens its own agent routes, nothing a scope names
    meta: null,
    expiresAt: null,
    project: server.project,
    server: server.id,
  }
  if (wanted.length > 0)
    return { valid: false, code: 'INSUFFICIENT_SCOPE', token: identity, recorded: done }
  return { valid: true, code: 'VALID', token: identity, recorded: done }
}

/**
 * Verifies any Latchkey token for `team`'s own services (API.md, Verify). Garbage and
 * bad checksums cost no call; a personal or server token one GetItem (+ its rate-limit
 * write, + lastUsed at most once a minute); a service JWT none. Another team's token
 * answers exactly as an unknown one, after the same calls.
 */
export function verifyToken(
  team: string,
  presented: string,
  wanted: readonly string[] = [],
  now = new Date(),
  onTouchError: (error: unknown) => void = () => {},
): Promise<Verification> {
  if (looksLikeJwt(presented)) return verifyService(team, presented, wanted)
  if (presented.startsWith('lks_')) return verifyServer(team, presented, wanted, now)
  return verifyPersonal(team, presented, wanted, now, onTouchError)
}

/** Verify's answer body: the outcome without the internal bookkeeping. */
export const verificationView = ({
  recorded: _,
  token,
  ...outcome
}: Verification): View<typeof VerificationView> => ({
  ...outcome,
  ...(token && { token: { ...token, scopes: token.scopes === null ? null : [...token.scopes] } }),
})
