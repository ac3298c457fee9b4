import type { UserCaller } from '../auth/caller.js'
import { beyondRole, needsAdmin, notHeld, type Scopes } from '../auth/scopes.js'
import {
  type AccessTokenRecord,
  accessTokenView,
  deleteAccessToken,
  getAccessToken,
  getAccessTokenWithRole,
  IdRevoked,
  listAccessTokens,
  listedBytes,
  liveTokens,
  NameTaken,
  OverQuota,
  pageCovers,
  putAccessToken,
  type RateLimit,
  readTokenPage,
  recountAccessTokens,
  rotateAccessToken,
  type TokenPage,
  touchAccessToken,
} from '../data/access-tokens.js'
import { keys } from '../data/keys.js'
import { type RateVerdict, takeRequest } from '../data/rate-limits.js'
import type { NewSecret } from '../data/rotation.js'
import { getTokenPolicy, type TokenPolicy } from '../data/token-policies.js'
import { revokeAllAccessTokens } from '../data/token-revocation.js'
import { getUser, nextTokenId, type Role } from '../data/users.js'
import {
  alreadyExists,
  forbidden,
  invalidRequest,
  notFound,
  quotaExceeded,
  unauthenticated,
} from '../errors.js'
import { daysAfter } from '../time.js'
import { hashesMatch, sha256 } from '../tokens/crypto.js'
import { issuePersonalToken, parsePersonalToken } from '../tokens/personal-token.js'
import { rateLimited } from './rate-limits.js'

/** Whose tokens: every user manages their own. */
export interface Owner {
  team: string
  username: string
}

/**
 * Who makes a token: its owner, and what bounds the new token. A scoped credential
 * makes tokens within its own scopes (else a `tokens:write` token could mint an
 * unscoped one); the role, when the credential carries it (a service token), spares
 * a read.
 */
export type Maker = Owner & { scopes?: Scopes; role?: Role }

/** A caller as a token maker: its scopes, and its role when its credential carries one. */
export const makerOf = (caller: UserCaller): Maker => ({
  team: caller.team,
  username: caller.username,
  scopes: caller.scopes,
  role: caller.credential.type === 'service_token' ? caller.credential.role : undefined,
})

export interface NewAccessToken {
  name: string
  expiresInDays?: number
  scopes?: string[]
  meta?: Record<string, unknown>
  rateLimit?: RateLimit
  /**
   * Server Density's grants cannot ask for an expiry: under a maximum lifetime their
   * tokens get the longest the policy allows instead of a refusal.
   */
  expiryFromPolicy?: boolean
}

/** `lastUsed` is written at most once a minute per token (API.md). */
export const LAST_USED_INTERVAL_MS = 60_000

// The view, and what it weighs listed (the count item keeps their sum): see the data layer.
export { accessTokenView, listedBytes }

const lacking = (scope: string) =>
  forbidden(`This credential lacks the scope ${scope}, so it cannot give it to a token.`)

/**
 * The new token's scopes: the requested ones (deduplicated), or the maker's own when
 * none are asked for. Never more than the maker holds nor than the user's role allows
 * (403 naming the scope); the role is read only when an admin-only scope is asked for.
 */
async function scopesFor(maker: Maker, requested: string[] | undefined): Promise<Scopes> {
  const makerScopes = maker.scopes ?? null
  if (requested === undefined) return makerScopes
  const scopes = [...new Set(requested)]
  const missing = makerScopes === null ? undefined : notHeld(makerScopes, scopes)
  if (missing) throw lacking(missing)
  if (!needsAdmin(scopes)) return scopes
  const role = maker.role ?? (await getUser(maker.team, maker.username))?.role
  if (!role) throw unauthenticated() // the user was removed after the credential was made
  const beyond = beyondRole(scopes, role)
  if (beyond) throw forbidden(`A ${role}'s token cannot hold the scope ${beyond}.`)
  return scopes
}

/** 400 naming the team's policy, for a token outside it. */
const outsidePolicy = (field: string, rule: string) =>
  invalidRequest(`The team's token policy requires ${rule}.`, [
    { description: field, message: `outside the team's token policy (${rule})` },
  ])

/** The token's lifetime in days under the policy's maximum (400 naming it when beyond). */
function lifetimeUnder(policy: TokenPolicy, request: NewAccessToken): number | undefined {
  const max = policy.maxLifetimeDays
  if (max === null) return request.expiresInDays
  if (request.expiresInDays === undefined && request.expiryFromPolicy) return max
  if (request.expiresInDays === undefined || request.expiresInDays > max)
    throw outsidePolicy(
      'expiresInDays',
      `personal tokens to expire within ${max} days (maxLifetimeDays)`,
    )
  return request.expiresInDays
}

/**
 * A member's token under `allowedScopes`: only those (an unscoped request gets
 * exactly them). The role is read only when the policy restricts scopes.
 */
async function scopesUnder(policy: TokenPolicy, maker: Maker, scopes: Scopes): Promise<Scopes> {
  const allowed = policy.allowedScopes
  if (allowed === null) return scopes
  const role = maker.role ?? (await getUser(maker.team, maker.username))?.role
  if (!role) throw unauthenticated()
  if (role === 'admin') return scopes
  if (scopes === null) return allowed
  const outside = scopes.find((scope) => !allowed.includes(scope))
  if (outside)
    throw outsidePolicy(
      'scopes',
      `members' tokens to hold only ${allowed.join(', ')} (allowedScopes), not ${outside}`,
    )
  return scopes
}

/**
 * What GET /api/tokens may answer for one user, in bytes of tokens as Lambda returns
 * them (the body JSON-encoded once more in its response): all of them at once (API.md),
 * under Lambda's 6 MB response limit (6,291,556 bytes) with a margin for the rest of the
 * response and for creates racing past the check (over 100 of the largest tokens).
 */
export const LIST_BUDGET_BYTES = 5 * 1024 * 1024

/**
 * The most one token can take in that answer: 50 scopes of 100 characters, 1 KB of
 * `meta` in 3-byte characters, a 50-character name of 4-byte ones, every date set
 * (test/unit/token-list-bound.test.ts builds it). A plain token takes about 250.
 */
export const MAX_LISTED_TOKEN_BYTES = 9 * 1024

/**
 * As many tokens as can never pass the budget, whatever they hold (568): below it a
 * create's transaction checks the count alone; past it, the bytes the user's count item
 * keeps beside the count (a user from before them has theirs measured once, by the
 * first create past it).
 */
export const LIGHT_TOKEN_COUNT = Math.floor(LIST_BUDGET_BYTES / MAX_LISTED_TOKEN_BYTES)

const LIST_BOUND = { budget: LIST_BUDGET_BYTES, light: LIGHT_TOKEN_COUNT }

const tooBigToList = () =>
  quotaExceeded(
    `This user's tokens would take more than ${LIST_BUDGET_BYTES / 1024 / 1024} MB to list (GET /api/tokens answers them all at once); delete some first.`,
  )

const quotaFull = (quota: number) =>
  quotaExceeded(
    `This user holds ${quota} personal tokens, the most the team's token policy allows (maxTokensPerUser); delete one first.`,
  )

/** Writes the token unless its name is taken (409) or the count item refuses it (OverQuota). */
async function putNamed(record: AccessTokenRecord, quota: number): Promise<void> {
  try {
    return await putAccessToken(record, quota, LIST_BOUND)
  } catch (error) {
    if (error instanceof NameTaken)
      throw alreadyExists(`A token named "${record.name}" already exists for this user.`)
    throw error
  }
}

/**
 * Writes the token within the user's quota and the list's byte budget: one transaction,
 * its condition on the user's count item (the count, and past LIGHT_TOKEN_COUNT the
 * bytes). Refused, the user's tokens are counted and measured once (recountAccessTokens:
 * expiry's TTL may have removed some, a user from before the bytes has them measured)
 * and, if the token fits beside them, written again.
 */
async function putWithinQuota(record: AccessTokenRecord, quota: number): Promise<void> {
  let stored: OverQuota['stored']
  try {
    return await putNamed(record, quota)
  } catch (error) {
    if (!(error instanceof OverQuota)) throw error
    stored = error.stored
  }
  const tally = await recountAccessTokens(record.team, record.username, stored)
  if (tally.count >= quota) throw quotaFull(quota)
  const fits =
    tally.count < LIGHT_TOKEN_COUNT || tally.bytes + listedBytes(record) <= LIST_BUDGET_BYTES
  if (!fits) throw tooBigToList()
  // It fits: the recount set the count item right, or a create or delete raced it (a
  // second refusal then errs on the quota's side).
  try {
    return await putNamed(record, quota)
  } catch (error) {
    if (error instanceof OverQuota) throw quotaFull(quota)
    throw error
  }
}

/** Ids a create may take: only a delete-all landing between taking one and writing costs another. */
const ID_ATTEMPTS = 3

/**
 * Creates a token; the returned `accessKey` is the only time the secret exists in
 * clear. DynamoDB calls: the team's policy and the next id (together), then one
 * transaction (token, name guard, the user's revocation mark and count); the user's
 * role only when an admin-only scope is asked for or the policy restricts members'
 * scopes; another id only when a delete-all passed the one taken.
 */
export async function createAccessToken(owner: Maker, request: NewAccessToken, now = new Date()) {
  const requested = await scopesFor(owner, request.scopes)
  const { team, username } = owner
  const [policy, firstId] = await Promise.all([getTokenPolicy(team), nextTokenId(team, username)])
  let id = firstId
  for (let attempt = 1; ; attempt++) {
    try {
      return await writeAccessToken(owner, id, policy, requested, request, now)
    } catch (error) {
      if (!(error instanceof IdRevoked) || attempt === ID_ATTEMPTS) throw error
    }
    id = await nextTokenId(team, username)
  }
}

async function writeAccessToken(
  owner: Maker,
  id: number | undefined,
  policy: TokenPolicy,
  requested: Scopes,
  request: NewAccessToken,
  now: Date,
) {
  const { team, username } = owner
  // The caller authenticated a moment ago; a missing user means it was deleted since.
  if (id === undefined) throw unauthenticated()
  const days = lifetimeUnder(policy, request)
  const scopes = await scopesUnder(policy, owner, requested)
  const { token: accessKey, secret } = issuePersonalToken({ team, username, id })
  // NFC before the name guard: "é" typed precomposed or as e + accent is one name.
  const name = request.name.normalize('NFC')
  const record: AccessTokenRecord = {
    team,
    username,
    id,
    name,
    secretHash: sha256(secret),
    previousHash: null,
    previousValidUntil: null,
    rotatedAt: null,
    leakedAt: null,
    leakUrl: null,
    leakSource: null,
    dateCreated: now.toISOString(),
    lastUsed: null,
    expiresAt: days ? daysAfter(now, days) : null,
    scopes: scopes === null ? null : [...scopes],
    meta: request.meta ?? null,
    rateLimit: request.rateLimit ?? null,
    expiryWarned: null,
    expiryWarnedAt: null,
    removalBy: null,
    removalReason: null,
    removalAt: null,
  }
  await putWithinQuota(record, policy.maxTokensPerUser)
  return { accessKey, token: record }
}

/** A rotation's new secret, as stored: its hash, and the old one's grace period's end. */
export const newSecret = (secret: string, graceSeconds: number, now: Date): NewSecret => ({
  secretHash: sha256(secret),
  now: now.toISOString(),
  graceUntil: graceSeconds > 0 ? new Date(now.getTime() + graceSeconds * 1000).toISOString() : null,
})

/**
 * A new secret for one of the owner's tokens, everything else kept (API.md, Rotation):
 * its lookup (one BatchGetItem: the token and the revocation mark), then one
 * UpdateItem. The old secret keeps working for `graceSeconds` (0: not at all); an
 * earlier grace period ends now. 404 for an unknown, revoked, expired or leaked token.
 */
export async function rotateOwnAccessToken(
  owner: Owner,
  id: number,
  graceSeconds = 0,
  now = new Date(),
) {
  const { team, username } = owner
  // The token with the user's revocation mark first: one a delete-all revoked (still
  // there until the stream deletes it) is not found, as everywhere else.
  if (!(await getAccessToken(team, username, id))) throw notFound('The token')
  const { token: accessKey, secret } = issuePersonalToken({ team, username, id })
  const token = await rotateAccessToken(team, username, id, newSecret(secret, graceSeconds, now))
  if (!token) throw notFound('The token')
  return { accessKey, token }
}

/** The owner's tokens; a caller authenticated by a listing read goes on from that page. */
export const listOwnAccessTokens = (owner: Owner & { ownTokens?: TokenPage }) =>
  listAccessTokens(owner.team, owner.username, owner.ownTokens)

export async function deleteOwnAccessToken(owner: Owner, id: number): Promise<void> {
  if (!(await deleteAccessToken(owner.team, owner.username, id))) throw notFound('The token')
}

/**
 * Revokes every token of the owner at once (the one in use too): constant time on the
 * request path. The items themselves are deleted from the change stream afterwards,
 * each with its `AccessTokenDeleted` (shared/domain/sweeps.ts).
 */
export async function deleteAllOwnAccessTokens(owner: Owner, now = new Date()): Promise<void> {
  await revokeAllAccessTokens(owner.team, owner.username, now)
}

export interface VerifiedAccessToken {
  token: AccessTokenRecord
  /** Settles when the `lastUsed` write (if one was due) is done; never rejects. */
  recorded: Promise<void>
  /** This request's place in the token's rate limit; undefined for a token without one. */
  rate?: RateVerdict
  /** The first page of the owner's tokens, when it was read to find this one. */
  ownTokens?: TokenPage
  /** The owner's current role, when it was read with the token (`reads: 'role'`). */
  role?: Role
}

/** Why a presented personal token is refused (verify says which; the service says 401). */
export type Refusal = 'NOT_FOUND' | 'EXPIRED' | 'REVOKED'

/** A record whose secret can be rotated with a grace period. */
export interface Rotatable {
  secretHash: string
  previousHash: string | null
  previousValidUntil: string | null
}

/**
 * Whether `hash` is the token's secret: its current one, or the one it replaced
 * while that one's grace period lasts. Both comparisons always run, each in constant
 * time, so the answer's timing says nothing about which one matched.
 */
export function secretMatches(token: Rotatable, hash: string, now: Date): boolean {
  const current = hashesMatch(token.secretHash, hash)
  const inGrace =
    token.previousHash !== null &&
    token.previousValidUntil !== null &&
    Date.parse(token.previousValidUntil) > now.getTime()
  const previous = hashesMatch(token.previousHash ?? '', hash)
  return current || (inGrace && previous)
}

/**
 * Looks a personal token up: malformed input costs no I/O, a well-formed one exactly
 * one strongly consistent call (the token and the revocation mark of its user). `team`
 * (verify's) makes the lookup in that team's partition whatever team the token names,
 * so another team's token is read where it cannot be, and refused exactly like an
 * unknown one, with the same call.
 */
export async function findAccessToken(
  presented: string,
  now: Date,
  team?: string,
): Promise<AccessTokenRecord | Refusal> {
  const found = await find(presented, now, team, 'token')
  return typeof found === 'string' ? found : found.token
}

/**
 * What authentication reads with the token, in the same call: the first page of its
 * owner's tokens (one Query, kept for the listing) instead of the token on its own, or
 * its owner's item (the role, for routes that check one). `token`: the token alone.
 */
export type TokenReads = 'token' | 'ownTokens' | 'role'

/**
 * The one place a personal token is judged. A token whose user is gone is not found
 * when the user's item is read with it (`role`).
 */
async function find(
  presented: string,
  now: Date,
  team: string | undefined,
  reads: TokenReads,
): Promise<{ token: AccessTokenRecord; page?: TokenPage; role?: Role } | Refusal> {
  const parsed = parsePersonalToken(presented)
  if (!parsed) return 'NOT_FOUND'
  const { token, page, role } = await lookUp(team ?? parsed.team, parsed.username, parsed.id, reads)
  if (!token || token.team !== parsed.team) return 'NOT_FOUND'
  if (reads === 'role' && !role) return 'NOT_FOUND'
  if (!secretMatches(token, sha256(parsed.secret), now)) return 'NOT_FOUND'
  if (token.leakedAt) return 'REVOKED'
  if (token.expiresAt && Date.parse(token.expiresAt) <= now.getTime()) return 'EXPIRED'
  return { token, page, role }
}

async function lookUp(
  team: string,
  username: string,
  id: number,
  reads: TokenReads,
): Promise<{ token?: AccessTokenRecord; page?: TokenPage; role?: Role }> {
  if (reads === 'role') return getAccessTokenWithRole(team, username, id)
  if (reads === 'token') return { token: await getAccessToken(team, username, id) }
  const page = await readTokenPage(team, username)
  // Beyond the first page (a user with many tokens): the token on its own, then.
  if (!pageCovers(page, keys.accessToken(team, username, id).SK))
    return { token: await getAccessToken(team, username, id), page }
  return { token: liveTokens(page.items).find((token) => token.id === id), page }
}

/**
 * The `lastUsed` writes this process has in flight, by token. The write itself is the
 * dedupe for every caller (touchAccessToken: one lands per minute, the rest fail its
 * condition), but each request that read a stale `lastUsed` still sends it. The local
 * server runs a burst side by side: 200 simultaneous GET /api/tokens of a never-used
 * token sent 10-200 UpdateItems to the one item without this (measured on DynamoDB
 * Local; a hot key it once answered with lock timeouts), 1-2 with it, as they share
 * the first one's. On Lambda an instance serves one request at a time and awaits the
 * write before answering, so this never shares there; a limited token's burst is
 * settled by its window's claim instead.
 */
const touchesInFlight = new Map<string, Promise<void>>()

/**
 * The token's use: `lastUsed` at most once a minute (left running alongside the
 * request), and its rate limit when it has one (one conditional UpdateItem, awaited:
 * the request may go on only if it fits). For a limited token that count also decides
 * which request writes a due `lastUsed` (takeRequest), so a burst writes it once. A
 * token without either costs nothing here.
 */
export async function useAccessToken(
  token: AccessTokenRecord,
  now: Date,
  onTouchError: (error: unknown) => void = () => {},
): Promise<VerifiedAccessToken> {
  const due = !token.lastUsed || now.getTime() - Date.parse(token.lastUsed) >= LAST_USED_INTERVAL_MS
  // Another caller's write winning the interval is no error (false): only a failure is.
  const touch = (yes: boolean): Promise<void> =>
    yes
      ? touchAccessToken(token.team, token.username, token.id, now, LAST_USED_INTERVAL_MS).then(
          () => {},
          onTouchError,
        )
      : Promise.resolve()
  if (!token.rateLimit) {
    const key = `${token.team}/${token.username}/${token.id}`
    const pending = due ? touchesInFlight.get(key) : undefined
    if (!due || pending) return { token, recorded: pending ?? Promise.resolve() }
    const recorded = touch(true).finally(() => touchesInFlight.delete(key))
    touchesInFlight.set(key, recorded)
    return { token, recorded }
  }
  const taken = await takeRequest(
    token,
    token.rateLimit,
    now,
    due ? LAST_USED_INTERVAL_MS : undefined,
  )
  return { token, recorded: touch(taken.touch), rate: taken.verdict }
}

/**
 * Verifies a personal token for a request to Latchkey: any refusal is the one 401.
 * The request's rate verdict comes back with it (`enforceRate` refuses it when over).
 */
export async function verifyAccessToken(
  presented: string,
  now = new Date(),
  onTouchError: (error: unknown) => void = () => {},
  reads: TokenReads = 'token',
): Promise<VerifiedAccessToken> {
  const found = await find(presented, now, undefined, reads)
  if (typeof found === 'string') throw unauthenticated()
  const verified = await useAccessToken(found.token, now, onTouchError)
  return {
    ...verified,
    ...(found.page && { ownTokens: found.page }),
    ...(found.role && { role: found.role }),
  }
}

/** 429 for a request over its token's rate limit, once the lastUsed write has settled. */
export async function enforceRate(verified: VerifiedAccessToken, now: Date): Promise<void> {
  if (!verified.rate || verified.rate.allowed) return
  await verified.recorded
  throw rateLimited(verified.rate, now)
}
