import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import type { AccessToken as AccessTokenView } from '../schemas/views.js'
import { deleteKeys, getKeys } from './batch.js'
import { db, table } from './client.js'
import { AccessToken, AccessTokenName, type RateLimit, User } from './entities.js'
import type { RecordOf } from './entity.js'
import { type CancellationReason, isConditionFailed } from './errors.js'
import { type Key, keys, ranges } from './keys.js'
import { rangePages } from './page.js'
import { CURRENT_OR_IN_GRACE, type NewSecret, rotation } from './rotation.js'
import { liveTokenItems, revokedThroughIn, revokedThroughOf } from './token-revocation.js'
import { type TransactItem, transact } from './transact.js'

export type AccessTokenRecord = RecordOf<typeof AccessToken.attributes>
export type { RateLimit }

/** The token's id was revoked (by a delete-all) before the token could be written. */
export class IdRevoked extends Error {
  constructor(readonly id: number) {
    super(`token id ${id} is revoked`)
    this.name = 'IdRevoked'
  }
}

export class NameTaken extends Error {
  constructor(readonly tokenName: string) {
    super(`a token named ${tokenName} exists`)
    this.name = 'NameTaken'
  }
}

/** The user item's count and bytes as a read saw them (absent: none yet). */
export interface StoredTally {
  count?: number
  bytes?: number
}

const storedTally = (item: Record<string, unknown> | undefined): StoredTally => ({
  count: typeof item?.tokenCount === 'number' ? item.tokenCount : undefined,
  bytes: typeof item?.tokenBytes === 'number' ? item.tokenBytes : undefined,
})

export class OverQuota extends Error {
  /** `stored`: the user item's count and bytes as the refusal's read saw them. */
  constructor(
    readonly quota: number,
    readonly stored: StoredTally = {},
  ) {
    super(`the user holds ${quota} tokens already`)
    this.name = 'OverQuota'
  }
}

/** The Tower `AccessToken` shape; the secret is never part of it. */
export function accessTokenView(token: AccessTokenRecord): AccessTokenView {
  return {
    id: token.id,
    token: null,
    name: token.name,
    lastUsed: token.lastUsed,
    dateCreated: token.dateCreated,
    basicAuth: null,
    expiresAt: token.expiresAt,
    scopes: token.scopes,
    meta: token.meta,
    rateLimit: token.rateLimit,
  }
}

/**
 * The bytes a token adds to its owner's GET /api/tokens answer on Lambda (the body
 * JSON-encoded once more, with its comma). Fixed for the token's life: nothing
 * listed changes after its create but `lastUsed`, measured as a time (as once used).
 */
export function listedBytes(token: AccessTokenRecord): number {
  const view = accessTokenView({ ...token, lastUsed: token.lastUsed ?? token.dateCreated })
  return Buffer.byteLength(JSON.stringify(JSON.stringify(view))) - 1
}

/**
 * What a user's count item holds for the list's bound: `tokenBytes`, the sum of
 * their tokens' listedBytes, kept beside `tokenCount` by the same writes. A user item
 * from before it has none: the first write takes this as the start, so an unmeasured
 * total stays far past any budget (a create relying on it is refused and measures it,
 * `recountAccessTokens`) and is never mistaken for a small one.
 */
export const UNMEASURED_BYTES = 2 ** 50

/** What bounds a create beside the quota: the list's bytes (shared/domain/access-tokens.ts). */
export interface ListBound {
  /** The most bytes the user's tokens may take, listed. */
  budget: number
  /** Below this many tokens no total can pass the budget: the bytes are not checked. */
  light: number
}

/**
 * The user item's count of their tokens and their bytes, kept in the transactions that
 * add or remove one (create, the owner's delete, an admin's, the sweeper's:
 * `removeCounted`). Neither is ever below what the token items hold (only expiry's TTL
 * deletes one without it), so a create conditional on them holds the quota and the
 * list's budget under any concurrency, in the create's one transaction. The same
 * condition refuses an id a delete-all revoked meanwhile: the user item mirrors the
 * mark's `revokedThrough` (written with it, token-revocation.ts), so the create's
 * transaction needs no item of its own to check the mark (a transaction item fewer).
 */
const countIn = (token: AccessTokenRecord, quota: number, bound: ListBound): TransactItem => {
  const bytes = listedBytes(token)
  return {
    Update: {
      TableName: table(),
      Key: keys.user(token.team, token.username),
      UpdateExpression:
        'ADD tokenCount :by SET tokenBytes = if_not_exists(tokenBytes, :unmeasured) + :bytes',
      // A user made before the count has none: refused, so the create recounts first
      // (counting from zero would let them past the quota by the tokens they hold).
      ConditionExpression:
        'attribute_exists(PK) AND tokenCount < :quota AND (tokenCount < :light OR tokenBytes <= :room) AND (attribute_not_exists(revokedThrough) OR revokedThrough < :id)',
      ExpressionAttributeValues: {
        ':by': 1,
        ':quota': quota,
        ':light': bound.light,
        ':room': bound.budget - bytes,
        ':id': token.id,
        ':bytes': bytes,
        ':unmeasured': UNMEASURED_BYTES,
      },
    },
  }
}

/**
 * Takes one removed token (of `bytes` listed) off its owner's count and total, in the
 * removal's own transaction. Conditional on the user still existing, so a removal
 * racing the user's deletion never recreates the user as an item holding only a
 * count: that transaction is refused, and `removeCounted` deletes without it.
 */
export const uncountOne = (team: string, username: string, bytes: number): TransactItem => ({
  Update: {
    TableName: table(),
    Key: keys.user(team, username),
    UpdateExpression:
      'ADD tokenCount :by SET tokenBytes = if_not_exists(tokenBytes, :unmeasured) - :bytes',
    ConditionExpression: 'attribute_exists(PK)',
    ExpressionAttributeValues: { ':by': -1, ':bytes': bytes, ':unmeasured': UNMEASURED_BYTES },
  },
})

/**
 * Deletes a token and its name guard (`deletes`, the token first) and lowers its
 * owner's count and bytes by it, all in one transaction, so the count never drops below the tokens
 * there are, however removals and creates interleave. When only the count's condition
 * refused (the user was deleted meanwhile: no count to keep), deletes without it.
 * Undefined when written, else the deletes' cancellation reasons.
 */
export async function removeCounted(
  token: AccessTokenRecord,
  deletes: [TransactItem, TransactItem],
): Promise<CancellationReason[] | undefined> {
  const uncount = uncountOne(token.team, token.username, listedBytes(token))
  const refused = await transact([...deletes, uncount])
  if (
    refused?.[2] === 'ConditionalCheckFailed' &&
    !refused.slice(0, 2).includes('ConditionalCheckFailed')
  )
    return transact(deletes)
  return refused
}

/**
 * Writes the token and its name guard in one transaction, counted on the user item
 * against `quota`: all or nothing, and a taken name or a full quota fails the whole
 * write. Concurrent transactions on the same guard or count may be cancelled as
 * conflicts; those are retried, and then see the winner's writes. The user's
 * revocation mark is checked too, so no token revoked by a delete-all can be written
 * after it (IdRevoked: take a new id). A name whose guard is left by a revoked token
 * not yet swept is taken over (that costs a read of the mark).
 */
export async function putAccessToken(
  token: AccessTokenRecord,
  quota: number,
  bound: ListBound,
  revokedThrough = 0,
): Promise<void> {
  const refused = await transact([
    {
      Put: {
        TableName: table(),
        Item: AccessToken.item({ ...token, lastUsed: null }),
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    },
    {
      Put: {
        TableName: table(),
        Item: AccessTokenName.item({
          team: token.team,
          username: token.username,
          name: token.name,
          tokenId: token.id,
          expiresAt: token.expiresAt,
        }),
        // A guard may be replaced only if its token is revoked (tokenId 0 never is).
        ConditionExpression: 'attribute_not_exists(PK) OR tokenId <= :revoked',
        ExpressionAttributeValues: { ':revoked': revokedThrough },
      },
    },
    countIn(token, quota, bound),
  ])
  if (refused?.[1] === 'ConditionalCheckFailed') {
    const mark = await getRevokedThrough(token.team, token.username)
    if (mark > revokedThrough) return putAccessToken(token, quota, bound, mark) // the guard may be stale
    throw new NameTaken(token.name)
  }
  if (refused?.[2] === 'ConditionalCheckFailed') {
    // The count refused: a delete-all passed the id, or the quota is full. The rare
    // path reads which (the mirror the condition read; it only ever rises), and the
    // count, which a recount starts from.
    const user = await getUserCount(token.team, token.username)
    if (revokedThroughOf(user) >= token.id) throw new IdRevoked(token.id)
    throw new OverQuota(quota, storedTally(user))
  }
  if (refused) throw new Error(`token ${token.id} was already written`) // ids come from a counter
}

/** The user item's token count and bytes, and its mirror of the revocation mark. */
async function getUserCount(team: string, username: string) {
  const { Item } = await db().send(
    new GetCommand({
      TableName: table(),
      Key: keys.user(team, username),
      ProjectionExpression: 'tokenCount, tokenBytes, revokedThrough',
      ConsistentRead: true,
    }),
  )
  return Item
}

/** The user's revocation mark: the highest token id a delete-all revoked (0: none). */
async function getRevokedThrough(team: string, username: string): Promise<number> {
  const { Item } = await db().send(
    new GetCommand({
      TableName: table(),
      Key: keys.tokenRevocation(team, username),
      ConsistentRead: true,
    }),
  )
  return revokedThroughOf(Item)
}

/**
 * The tokens among a user's `PAT#` items, in their order, without those a delete-all
 * revoked (the mark is among the items when there is one).
 */
export function liveTokens(items: Record<string, unknown>[]): AccessTokenRecord[] {
  return liveTokenItems(items).map((item) => AccessToken.decode(item))
}

export async function getAccessToken(
  team: string,
  username: string,
  id: number,
): Promise<AccessTokenRecord | undefined> {
  // The token and the user's revocation mark, together: one strongly consistent call.
  return liveTokens(
    await getKeys([keys.tokenRevocation(team, username), keys.accessToken(team, username, id)]),
  )[0]
}

/**
 * As getAccessToken, with the user's item in the same call: its role, for routes that
 * check one (the caller's current role, read as strongly as the token).
 */
export async function getAccessTokenWithRole(team: string, username: string, id: number) {
  const items = await getKeys([
    keys.tokenRevocation(team, username),
    keys.accessToken(team, username, id),
    keys.user(team, username),
  ])
  const user = items.find((item) => item.kind === User.kind)
  return { token: liveTokens(items)[0], role: user && User.decode(user).role }
}

/** Items of a user's `PAT#` range read so far (the mark first, then tokens by id). */
export interface TokenPage {
  items: Record<string, unknown>[]
  /** The sort key of the last item read, when more may follow. */
  next?: string
}

/**
 * Items in the Query that authenticates a listing: enough for nearly every user's
 * tokens, few enough that a forged token naming a hoarder costs little (~13 RCU at most).
 */
export const TOKEN_PAGE_ITEMS = 50

/** The first items of a user's `PAT#` range: one strongly consistent Query. */
export async function readTokenPage(
  team: string,
  username: string,
  limit = TOKEN_PAGE_ITEMS,
): Promise<TokenPage> {
  const range = ranges.accessTokens(team, username)
  const { Items = [], LastEvaluatedKey } = await db().send(
    new QueryCommand({
      TableName: table(),
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': range.PK, ':prefix': range.prefix },
      Limit: limit,
      ConsistentRead: true,
    }),
  )
  return { items: Items, next: LastEvaluatedKey ? String(LastEvaluatedKey.SK) : undefined }
}

/** Whether a page holds the item under this sort key, if there is one at all. */
export const pageCovers = (page: TokenPage, sortKey: string) =>
  page.next === undefined || sortKey <= page.next

/**
 * All of a user's live tokens in id order: a first page of up to 50 items (which
 * starts with the revocation mark, if any; authentication may have read it already),
 * then one strongly consistent Query per 1 MB page from past the mark, so tokens a
 * delete-all revoked are not read even while the stream has yet to delete them.
 */
export async function listAccessTokens(
  team: string,
  username: string,
  first?: TokenPage,
): Promise<AccessTokenRecord[]> {
  const page = first ?? (await readTokenPage(team, username))
  const items = [...page.items]
  if (page.next !== undefined) {
    const mark = revokedThroughIn(items)
    const pastMark = mark > 0 ? keys.accessToken(team, username, mark).SK : ''
    const after = page.next > pastMark ? page.next : pastMark
    for await (const rest of rangePages(ranges.accessTokens(team, username), undefined, after))
      items.push(...(rest.Items ?? []))
  }
  return liveTokens(items)
}

/** Deletes a token and its name guard together; false when there was no such token. */
export async function deleteAccessToken(
  team: string,
  username: string,
  id: number,
): Promise<boolean> {
  const token = await getAccessToken(team, username, id)
  if (!token) return false
  // Refused: someone else deleted it between our read and our write.
  const refused = await removeCounted(token, [
    {
      Delete: {
        TableName: table(),
        Key: keys.accessToken(team, username, id),
        ConditionExpression: 'attribute_exists(PK)',
      },
    },
    { Delete: { TableName: table(), Key: keys.accessTokenName(team, username, token.name) } },
  ])
  return !refused
}

/**
 * Deletes every token of a user with their name guards, page by page, so it works
 * for any number of tokens. Returns how many tokens went. For a user already deleted
 * (the operator deletes the user first, so no token can be minted meanwhile): there is
 * no count left to lower, and writing one would start a user re-created under the
 * same name below zero, past their quota.
 */
export async function deleteAllAccessTokens(team: string, username: string): Promise<number> {
  const tokenPrefix = ranges.accessTokens(team, username).prefix
  // The revocation mark sorts among the tokens (its key is the bare prefix): not one.
  const mark = keys.tokenRevocation(team, username).SK
  let deleted = 0
  for await (const page of rangePages(ranges.accessTokenItems(team, username), 'PK, SK')) {
    const itemKeys = (page.Items ?? []) as Key[]
    const tokens = itemKeys.filter(
      (key) => key.SK.startsWith(tokenPrefix) && key.SK !== mark,
    ).length
    await deleteKeys(itemKeys)
    deleted += tokens
  }
  return deleted
}

/** What a user's live tokens take: how many, and their bytes listed. */
export interface Tally {
  count: number
  bytes: number
}

/**
 * When a create is refused by the count item (its quota or its list's budget): reads
 * the user's live tokens (1 Query per 1 MB page) and, if they differ from the count and
 * bytes the refusal read (`stored`: expiry's TTL removed some, or the bytes were never
 * measured: a user from before them), writes what is there. Conditional on those being
 * unchanged (or still absent), so a create or delete meanwhile makes it give up, which
 * errs on the refusing side. Answers the live tokens' tally.
 */
export async function recountAccessTokens(
  team: string,
  username: string,
  stored: StoredTally,
): Promise<Tally> {
  // Live tokens only: the range holds the revocation mark, and the tokens a delete-all
  // revoked until the stream deletes them (delete-all set the count to 0). Whole items:
  // their listed bytes are measured from them.
  const items: Record<string, unknown>[] = []
  for await (const page of rangePages(ranges.accessTokens(team, username)))
    items.push(...(page.Items ?? []))
  const live = liveTokens(items)
  const present = {
    count: live.length,
    bytes: live.reduce((sum, token) => sum + listedBytes(token), 0),
  }
  const { count: counted, bytes: measured } = stored
  if (present.count === counted && present.bytes === measured) return present
  const unchanged = [
    counted === undefined
      ? 'attribute_exists(PK) AND attribute_not_exists(tokenCount)'
      : 'tokenCount = :counted',
    measured === undefined ? 'attribute_not_exists(tokenBytes)' : 'tokenBytes = :measured',
  ].join(' AND ')
  try {
    await db().send(
      new UpdateCommand({
        TableName: table(),
        Key: keys.user(team, username),
        UpdateExpression: 'SET tokenCount = :count, tokenBytes = :bytes',
        ConditionExpression: unchanged,
        ExpressionAttributeValues: {
          ':count': present.count,
          ':bytes': present.bytes,
          ...(counted !== undefined && { ':counted': counted }),
          ...(measured !== undefined && { ':measured': measured }),
        },
      }),
    )
  } catch (error) {
    if (!isConditionFailed(error)) throw error
  }
  return present
}

/**
 * A new secret for a token: one conditional UpdateItem (the token must exist, be
 * unexpired and not leaked); see `rotation` for what it writes.
 */
export async function rotateAccessToken(
  team: string,
  username: string,
  id: number,
  secret: NewSecret,
): Promise<AccessTokenRecord | undefined> {
  const { UpdateExpression, ExpressionAttributeValues } = rotation(secret)
  try {
    const { Attributes } = await db().send(
      new UpdateCommand({
        TableName: table(),
        Key: keys.accessToken(team, username, id),
        UpdateExpression,
        ConditionExpression:
          'attribute_exists(PK) AND attribute_not_exists(leakedAt) AND (attribute_not_exists(expiresAt) OR expiresAt > :rotatedAt)',
        ExpressionAttributeValues,
        ReturnValues: 'ALL_NEW',
      }),
    )
    return Attributes ? AccessToken.decode(Attributes) : undefined
  } catch (error) {
    if (isConditionFailed(error)) return undefined
    throw error
  }
}

/** Where a leaked secret was found (GitHub's report). */
export interface Leak {
  url: string
  source: string
}

/**
 * Revokes a leaked token at once, keeping it (listed, and counted) so its owner sees
 * which one it was: one UpdateItem that marks it, conditional on the leaked secret's
 * hash being current or in its grace period, so a report of an old secret revokes
 * nothing. The mark is what the change stream publishes as AccessTokenLeaked.
 */
export async function markAccessTokenLeaked(
  team: string,
  username: string,
  id: number,
  secretHash: string,
  leak: Leak,
  now: string,
): Promise<boolean> {
  try {
    await db().send(
      new UpdateCommand({
        TableName: table(),
        Key: keys.accessToken(team, username, id),
        UpdateExpression:
          'SET leakedAt = :now, leakUrl = :url, leakSource = :source REMOVE previousHash, previousValidUntil',
        ConditionExpression: `attribute_not_exists(leakedAt) AND ${CURRENT_OR_IN_GRACE}`,
        ExpressionAttributeValues: {
          ':now': now,
          ':url': leak.url,
          ':source': leak.source,
          ':hash': secretHash,
        },
      }),
    )
    return true
  } catch (error) {
    if (isConditionFailed(error)) return false
    throw error
  }
}

/**
 * Records use at most once per `minIntervalMs` per token, whatever the concurrency and
 * however many processes (Lambda instances) send it: the condition on the stored
 * `lastUsed` lets one writer through per interval, so a burst that all read a stale
 * `lastUsed` writes it once and the rest fail the condition (an answer here, never an
 * error: false). Never recreates a token deleted meanwhile. True when this call wrote.
 */
export async function touchAccessToken(
  team: string,
  username: string,
  id: number,
  now: Date,
  minIntervalMs: number,
): Promise<boolean> {
  try {
    await db().send(
      new UpdateCommand({
        TableName: table(),
        Key: keys.accessToken(team, username, id),
        UpdateExpression: 'SET lastUsed = :now',
        ConditionExpression:
          'attribute_exists(PK) AND (attribute_not_exists(lastUsed) OR lastUsed <= :cutoff)',
        ExpressionAttributeValues: {
          ':now': now.toISOString(),
          ':cutoff': new Date(now.getTime() - minIntervalMs).toISOString(),
        },
      }),
    )
    return true
  } catch (error) {
    if (isConditionFailed(error)) return false
    throw error
  }
}

export const accessTokenFromItem = (item: Record<string, unknown>) => AccessToken.decode(item)
