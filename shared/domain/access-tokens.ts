import {
  type AccessTokenRecord,
  deleteAccessToken,
  deleteAllAccessTokens,
  getAccessToken,
  listAccessTokens,
  NameTaken,
  putAccessToken,
  touchAccessToken,
} from '../data/access-tokens.js'
import { nextTokenId } from '../data/users.js'
import { alreadyExists, notFound, unauthenticated } from '../errors.js'
import type { AccessToken } from '../schemas/views.js'
import { hashesMatch, sha256 } from '../tokens/crypto.js'
import { issuePersonalToken, parsePersonalToken } from '../tokens/personal-token.js'

/** Whose tokens: every user manages their own. */
export interface Owner {
  team: string
  username: string
}

export interface NewAccessToken {
  name: string
  expiresInDays?: number
}

/** `lastUsed` is written at most once a minute per token (API.md). */
export const LAST_USED_INTERVAL_MS = 60_000
const DAY_MS = 86_400_000

/** The Tower `AccessToken` shape; the secret is never part of it. */
export function accessTokenView(token: AccessTokenRecord): AccessToken {
  return {
    id: token.id,
    token: null,
    name: token.name,
    lastUsed: token.lastUsed,
    dateCreated: token.dateCreated,
    basicAuth: null,
    expiresAt: token.expiresAt,
  }
}

/** Creates a token; the returned `accessKey` is the only time the secret exists in clear. */
export async function createAccessToken(owner: Owner, request: NewAccessToken, now = new Date()) {
  const id = await nextTokenId(owner.team, owner.username)
  // The caller authenticated a moment ago; a missing user means it was deleted since.
  if (id === undefined) throw unauthenticated()
  const { team, username } = owner
  const { token: accessKey, secret } = issuePersonalToken({ team, username, id })
  // NFC before the name guard: "é" typed precomposed or as e + accent is one name.
  const name = request.name.normalize('NFC')
  const record: AccessTokenRecord = {
    team,
    username,
    id,
    name,
    secretHash: sha256(secret),
    dateCreated: now.toISOString(),
    lastUsed: null,
    expiresAt: request.expiresInDays
      ? new Date(now.getTime() + request.expiresInDays * DAY_MS).toISOString()
      : null,
  }
  try {
    await putAccessToken(record)
  } catch (error) {
    if (error instanceof NameTaken) {
      throw alreadyExists(`A token named "${name}" already exists for this user.`)
    }
    throw error
  }
  return { accessKey, token: record }
}

export const listOwnAccessTokens = (owner: Owner) => listAccessTokens(owner.team, owner.username)

export async function deleteOwnAccessToken(owner: Owner, id: number): Promise<void> {
  if (!(await deleteAccessToken(owner.team, owner.username, id))) throw notFound('The token')
}

export const deleteAllOwnAccessTokens = (owner: Owner) =>
  deleteAllAccessTokens(owner.team, owner.username)

export interface VerifiedAccessToken {
  token: AccessTokenRecord
  /** Settles when the `lastUsed` write (if one was due) is done; never rejects. */
  recorded: Promise<void>
}

/**
 * Verifies a personal token: malformed input costs no I/O, a well-formed one exactly
 * one strongly consistent GetItem (plus the lastUsed write once a minute).
 */
export async function verifyAccessToken(
  presented: string,
  now = new Date(),
  onTouchError: (error: unknown) => void = () => {},
): Promise<VerifiedAccessToken> {
  const parsed = parsePersonalToken(presented)
  if (!parsed) throw unauthenticated()
  const token = await getAccessToken(parsed.team, parsed.username, parsed.id)
  if (!token || !hashesMatch(token.secretHash, sha256(parsed.secret))) throw unauthenticated()
  if (token.expiresAt && Date.parse(token.expiresAt) <= now.getTime()) throw unauthenticated()
  const due = !token.lastUsed || now.getTime() - Date.parse(token.lastUsed) >= LAST_USED_INTERVAL_MS
  const recorded = due
    ? touchAccessToken(token.team, token.username, token.id, now, LAST_USED_INTERVAL_MS).catch(
        onTouchError,
      )
    : Promise.resolve()
  return { token, recorded }
}
