import type { UserCaller } from '../auth/caller.js'
import { DUMMY_HASH, verifyPassword } from '../auth/password.js'
import type { AccessTokenRecord } from '../data/access-tokens.js'
import { clearAttempts, takeAttempt } from '../data/sign-in.js'
import { getUser, type UserRecord } from '../data/users.js'
import { DomainError, invalidRequest, tooManyRequests, unauthenticated } from '../errors.js'
import { recordRateLimited } from '../metrics.js'
import type { Grant } from '../schemas/views.js'
import { createAccessToken, makerOf, type NewAccessToken } from './access-tokens.js'

/** After 5 failed password grants for a user within 15 minutes: 429 (API.md). */
export const ATTEMPT_LIMIT = { max: 5, windowMs: 15 * 60_000 } as const

/** The extensions (scopes, meta, rateLimit) a grant may ask for, as POST /api/tokens takes them. */
export type GrantExtensions = Omit<NewAccessToken, 'name' | 'expiresInDays'>

export interface PasswordGrant extends GrantExtensions {
  username?: string
  password?: string
  accountName?: string
  tokenName?: string
}

/** Server Density's answer: the new token and who it belongs to. */
export const grantView = (accessKey: string, token: AccessTokenRecord): Grant => ({
  token: accessKey,
  tokenName: token.name,
  id: token.id,
  accountName: token.team,
  username: token.username,
  dateCreated: token.dateCreated,
  // Extensions, only when asked for: Server Density's own answer stays as it was.
  ...(token.scopes !== null && { scopes: token.scopes }),
  ...(token.meta !== null && { meta: token.meta }),
  ...(token.rateLimit !== null && { rateLimit: token.rateLimit }),
})

function required<K extends string>(
  fields: Partial<Record<K, string>>,
  names: readonly K[],
): Record<K, string> {
  const missing = names.filter((name) => fields[name] === undefined)
  if (missing.length > 0)
    throw invalidRequest(
      `Missing ${missing.join(', ')}.`,
      missing.map((name) => ({ description: name, message: 'is required' })),
    )
  return fields as Record<K, string>
}

/** The hash to check against: unknown users and users without a password get the dummy. */
export const hashToCheck = (user: UserRecord | undefined) => user?.passwordHash ?? DUMMY_HASH

const tooManyAttempts = (reopensAt: number, now: number) =>
  tooManyRequests('Too many failed attempts for this user; try again later.', reopensAt, now)

const mfaRequired = () =>
  new DomainError(
    'mfa_required',
    'This user has multi-factor authentication enabled: create the token with an existing token (?token= or Authorization), or ask an admin to make one with the admin CLI (token create).',
  )

/**
 * The password grant. Each attempt is counted before the password is checked, so
 * concurrent guesses can't exceed the limit; a success gives the allowance back.
 * Wrong password, unknown user and a user without a password are the same 401 after
 * the same KDF work, and unknown usernames are limited too (lockout is no oracle). A
 * locked-out user gets 429 even with the right password; MFA is revealed only to
 * someone who knows the password.
 */
export async function createTokenByPassword(grant: PasswordGrant, now = new Date()) {
  const { scopes, meta, rateLimit } = grant
  const { username, password, accountName, tokenName } = required(grant, [
    'username',
    'password',
    'accountName',
    'tokenName',
  ])
  const at = now.getTime()
  const [reopensAt, user] = await Promise.all([
    takeAttempt(accountName, username, at, ATTEMPT_LIMIT),
    getUser(accountName, username),
  ])
  if (reopensAt !== undefined) {
    recordRateLimited('password_attempts')
    throw tooManyAttempts(reopensAt, at)
  }
  const matches = await verifyPassword(password, hashToCheck(user))
  if (!user?.passwordHash || !matches) throw unauthenticated()
  await clearAttempts(accountName, username)
  if (user.mfaEnabled) throw mfaRequired()
  const maker = { team: user.team, username: user.username, role: user.role }
  return createAccessToken(
    maker,
    { name: tokenName, scopes, meta, rateLimit, expiryFromPolicy: true },
    now,
  )
}

/** The token grant: a caller's existing credential makes another token for the same user. */
export async function createTokenByToken(
  caller: UserCaller,
  tokenName: string | undefined,
  extensions: GrantExtensions = {},
) {
  const { tokenName: name } = required({ tokenName }, ['tokenName'])
  const { scopes, meta, rateLimit } = extensions
  return createAccessToken(makerOf(caller), {
    name,
    scopes,
    meta,
    rateLimit,
    expiryFromPolicy: true,
  })
}
