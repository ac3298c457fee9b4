import {
  DeleteCommand,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import { deleteKeys } from './batch.js'
import { db, table } from './client.js'
import { AccessToken, TokenRevocation } from './entities.js'
import { isConditionFailed } from './errors.js'
import { type Key, keys } from './keys.js'
import { transact } from './transact.js'

/**
 * Delete-all in constant time (issue 16): one conditional write of a mark that revokes
 * every token a user has, then the physical deletes run from the change stream, a
 * bounded step per stream record (sweepRevokedTokens), until none is left.
 */

/** The highest revoked token id a mark item holds; 0 (none revoked) without one. */
export const revokedThroughOf = (item: Record<string, unknown> | undefined): number =>
  typeof item?.revokedThrough === 'number' ? item.revokedThrough : 0

/** The revocation mark among a user's `PAT#` items (0 when none is among them). */
export const revokedThroughIn = (items: Record<string, unknown>[]): number =>
  revokedThroughOf(items.find((item) => item.kind === TokenRevocation.kind))

/** The token items among a user's `PAT#` items that the mark in them leaves live. */
export const liveTokenItems = (items: Record<string, unknown>[]): Record<string, unknown>[] => {
  const mark = revokedThroughIn(items)
  return items.filter((item) => item.kind === AccessToken.kind && Number(item.id) > mark)
}

/**
 * Revokes every token the user has now: one Query for the highest token id, then one
 * transaction writing the mark and, on the user item, its mirror (which every create's
 * count condition reads, putAccessToken) and the count of live tokens, 0 now. The mark
 * only ever rises (a concurrent, later delete-all wins). A token whose create overlaps
 * this may land on either side; one whose id is at or below the mark can never be
 * written afterwards. True when this call wrote the mark.
 */
export async function revokeAllAccessTokens(
  team: string,
  username: string,
  now: Date,
): Promise<boolean> {
  const mark = keys.tokenRevocation(team, username)
  const { Items } = await db().send(
    new QueryCommand({
      TableName: table(),
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': mark.PK, ':prefix': mark.SK },
      ScanIndexForward: false,
      Limit: 1,
      ProjectionExpression: 'kind, id',
      ConsistentRead: true,
    }),
  )
  const highest = Items?.[0]
  if (highest?.kind !== AccessToken.kind) return false // no token, or only the mark: nothing to revoke
  const id = Number(highest.id)
  const put = {
    TableName: table(),
    Item: TokenRevocation.item({
      team,
      username,
      revokedThrough: id,
      revokedAt: now.toISOString(),
      sweepRound: 0,
    }),
    ConditionExpression: 'attribute_not_exists(revokedThrough) OR revokedThrough < :id',
    ExpressionAttributeValues: { ':id': id },
  }
  const refused = await transact([
    { Put: put },
    {
      // The quota counts live tokens, and the list's bound their bytes: none are left.
      // Never recreates a deleted user.
      Update: {
        TableName: table(),
        Key: keys.user(team, username),
        UpdateExpression: 'SET revokedThrough = :id, tokenCount = :zero, tokenBytes = :zero',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: { ':id': id, ':zero': 0 },
      },
    },
  ])
  if (refused?.[0] === 'ConditionalCheckFailed') return false // a delete-all at least as recent won
  if (refused?.[1] === 'ConditionalCheckFailed') return revokeWithoutUser(put)
  if (refused) throw new Error(`the delete-all of ${team}/${username} was refused: ${refused}`)
  return true
}

/**
 * A user deleted meanwhile mints no token (the count condition needs the user item),
 * so the mark alone revokes what is left until the user's deletion removes it.
 */
async function revokeWithoutUser(put: PutCommandInput): Promise<boolean> {
  try {
    await db().send(new PutCommand(put))
    return true
  } catch (error) {
    if (!isConditionFailed(error)) throw error
    return false
  }
}

/** Revoked tokens deleted per step: a step stays well inside the stream function's timeout. */
export const SWEEP_STEP = 1000
const GUARDS_PER_TRANSACTION = 25
const IN_FLIGHT = 4

/**
 * One step of the physical deletes behind a mark: up to `limit` revoked tokens, each
 * name guard first (only if it still names that token: a new token may have taken
 * the name over) and then the tokens in batches. Idempotent, so a step cut short is
 * simply run again: deleted items are not found twice, and a REMOVE (hence an
 * `AccessTokenDeleted`) exists only for an item that was there. True when more may remain.
 */
export async function sweepRevokedTokens(
  team: string,
  username: string,
  revokedThrough: number,
  limit = SWEEP_STEP,
): Promise<boolean> {
  const { Items = [], LastEvaluatedKey } = await db().send(
    new QueryCommand({
      TableName: table(),
      KeyConditionExpression: 'PK = :pk AND SK BETWEEN :first AND :last',
      ExpressionAttributeValues: {
        ':pk': keys.tokenRevocation(team, username).PK,
        ':first': keys.accessToken(team, username, 0).SK,
        ':last': keys.accessToken(team, username, revokedThrough).SK,
      },
      ProjectionExpression: 'PK, SK, id, #name',
      ExpressionAttributeNames: { '#name': 'name' },
      Limit: limit,
      ConsistentRead: true,
    }),
  )
  // One guard per name: a revoked token's name may have been taken over by a later,
  // also revoked, token, and the guard names the later one.
  const guards = new Map<string, number>()
  for (const item of Items) guards.set(String(item.name), Number(item.id))
  await deleteGuards(
    [...guards].map(([name, id]) => ({ key: keys.accessTokenName(team, username, name), id })),
  )
  await deleteKeys(Items.map((item): Key => ({ PK: String(item.PK), SK: String(item.SK) })))
  return LastEvaluatedKey !== undefined
}

/**
 * Deletes name guards that still name the given tokens: 25 to a transaction, each
 * conditional; a transaction refused (a name taken over by a live token) is done one
 * guard at a time, so only that one stays.
 */
async function deleteGuards(guards: { key: Key; id: number }[]): Promise<void> {
  const groups: (typeof guards)[] = []
  for (let i = 0; i < guards.length; i += GUARDS_PER_TRANSACTION)
    groups.push(guards.slice(i, i + GUARDS_PER_TRANSACTION))
  let next = 0
  const worker = async () => {
    for (let group = groups[next++]; group; group = groups[next++]) {
      const refused = await transact(group.map(({ key, id }) => guardDelete(key, id)))
      if (refused) for (const { key, id } of group) await deleteGuard(key, id)
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
}

/** Gone already is fine (a step run again); another token's guard is not ours to delete. */
const guardDelete = (key: Key, tokenId: number) => ({
  Delete: {
    TableName: table(),
    Key: key,
    ConditionExpression: 'attribute_not_exists(PK) OR tokenId = :id',
    ExpressionAttributeValues: { ':id': tokenId },
  },
})

async function deleteGuard(key: Key, tokenId: number): Promise<void> {
  try {
    await db().send(new DeleteCommand(guardDelete(key, tokenId).Delete))
  } catch (error) {
    if (!isConditionFailed(error)) throw error
  }
}

/**
 * Asks for the next step: touching the mark makes a new stream record. Nothing when
 * the mark has moved on (its own record drives the sweep) or is gone (the user was).
 */
export async function continueSweep(
  team: string,
  username: string,
  revokedThrough: number,
): Promise<void> {
  try {
    await db().send(
      new UpdateCommand({
        TableName: table(),
        Key: keys.tokenRevocation(team, username),
        UpdateExpression: 'ADD sweepRound :one',
        ConditionExpression: 'revokedThrough = :mark',
        ExpressionAttributeValues: { ':one': 1, ':mark': revokedThrough },
      }),
    )
  } catch (error) {
    if (!isConditionFailed(error)) throw error
  }
}
