import { type Answer, ApiError, call, useSession } from './api.js'
import { ADMIN_SCOPES, CONSOLE_SCOPES, type ConsoleScope } from './scopes.js'

/**
 * The signed-in person. Kept in this module's memory only: never in storage, a
 * cookie or the URL, so a reload or a closed tab signs out, and script elsewhere on
 * the page has nothing to read. The credential is a service bearer token (at most
 * an hour), which is all the console ever sends.
 */
export interface Session {
  team: string
  username: string
  role: 'admin' | 'member'
  /** What the session's service token may do: the console's scopes its user may hold. */
  scopes: readonly string[]
  expiresAt: Date
}

let current: Session | undefined
/** The console's own personal token, when deleting it at sign-in failed. */
let leftover: string | undefined

export const session = (): Session | undefined => current

/** A name for the console's own short-lived personal token, unique per sign-in. */
const consoleTokenName = () => `console sign-in ${crypto.randomUUID().slice(0, 8)}`

/**
 * The password path: the Server Density grant (its password check, lockout and MFA
 * rule) makes a personal token holding only the console's scopes, which is exchanged
 * for a service token (which carries those scopes) and deleted at once, so no
 * long-lived credential outlives the sign-in.
 */
export async function signInWithPassword(team: string, username: string, password: string) {
  const body = await scoped((scopes) =>
    call('createTokenByGrant', {
      body: { accountName: team, username, password, tokenName: consoleTokenName(), scopes },
    }),
  )
  await exchange(body.accountName, body.id, body.token)
}

/**
 * The token path: the pasted token makes the console's own token the same way, with
 * the console's scopes that it holds itself. The pasted token is used for this one
 * call and kept nowhere.
 */
export async function signInWithToken(token: string) {
  const body = await scoped((scopes) =>
    call('createTokenByGrant', { bearer: token, body: { tokenName: consoleTokenName(), scopes } }),
  )
  await exchange(body.accountName, body.id, body.token)
}

/**
 * Makes the console's token with the console's scopes, less those the API refuses:
 * the role is not known before the grant, so a member's first try (with the admin
 * scopes) is refused naming an admin scope, and the admin scopes go; a scoped pasted
 * token is refused each scope it lacks in turn. Any other refusal is the answer.
 */
async function scoped(
  grant: (scopes: ConsoleScope[]) => Promise<Answer<'createTokenByGrant'>>,
): Promise<Answer<'createTokenByGrant'>['body']> {
  let scopes: ConsoleScope[] = [...CONSOLE_SCOPES]
  for (;;) {
    try {
      return (await grant(scopes)).body
    } catch (error) {
      const named = refusedScope(error, scopes)
      if (!named || named === 'tokens:write') throw error
      const drop: readonly ConsoleScope[] = ADMIN_SCOPES.includes(named) ? ADMIN_SCOPES : [named]
      scopes = scopes.filter((scope) => !drop.includes(scope))
    }
  }
}

/** The scope a 403 names, when it is one the console asked for. */
function refusedScope(error: unknown, asked: readonly ConsoleScope[]): ConsoleScope | undefined {
  if (!(error instanceof ApiError) || error.code !== 'forbidden_error') return undefined
  const named = /\bscope ([a-z0-9_.:/-]+?)[,.]?(?:\s|$)/.exec(error.message)?.[1]
  return asked.find((scope) => scope === named)
}

async function exchange(team: string, id: number, token: string) {
  let service: string
  let expiresAt: Date
  try {
    const { body } = await call('createServiceToken', {
      params: { team },
      body: { key_id: String(id), key_secret: token },
    })
    service = body.bearer_token
    expiresAt = new Date(body.expires_at)
  } finally {
    // The service token does not depend on it: the console's personal token goes now
    // (or, if that call fails, at sign-out).
    leftover = await call('deleteAccessToken', { bearer: token, params: { tokenId: String(id) } })
      .then(() => undefined)
      .catch(() => String(id))
  }
  const claims = claimsOf(service)
  current = { team, username: claims.sub, role: claims.role, scopes: claims.scopes, expiresAt }
  useSession(service, () => signOut('Your session expired. Sign in again.'))
}

/** The service token's own claims (it is ours to read; the API checks its signature). */
function claimsOf(jwt: string): Pick<Session, 'role' | 'scopes'> & { sub: string } {
  const payload = jwt.split('.')[1] ?? ''
  const text = atob(payload.replace(/-/g, '+').replace(/_/g, '/'))
  const claims = JSON.parse(text) as { sub?: unknown; role?: unknown; scopes?: unknown }
  const { sub, role, scopes } = claims
  if (
    typeof sub !== 'string' ||
    (role !== 'admin' && role !== 'member') ||
    !Array.isArray(scopes) ||
    !scopes.every((scope) => typeof scope === 'string')
  )
    throw new ApiError(0, 'unexpected', 'The service answered a token the console cannot read.')
  return { sub, role, scopes }
}

let onSignOut: (reason?: string) => void = () => {}
export const whenSignedOut = (listener: (reason?: string) => void) => {
  onSignOut = listener
}

/**
 * Forgets the session (the service token expires by itself within the hour), and
 * deletes the console's own personal token if it is still there.
 */
export function signOut(reason?: string): void {
  if (leftover && !reason)
    void call('deleteAccessToken', { params: { tokenId: leftover } }).catch(() => undefined)
  leftover = undefined
  current = undefined
  useSession(undefined)
  onSignOut(reason)
}
