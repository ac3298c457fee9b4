import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { deleteKeys } from './batch.js'
import { db, table } from './client.js'
import { AccessToken, AccessTokenName, type RateLimit } from './entities.js'
import type { RecordOf } from './entity.js'
import { isConditionFailed } from './errors.js'
import { type Key, keys, ranges } from './keys.js'
import { rangePages } from './page.js'
import { transact } from './transact.js'

export type AccessTokenRecord = RecordOf<typeof AccessToken.attributes>
export type { RateLimit }

export class NameTaken extends Error {
  constructor(readonly tokenName: string) {
    super(`a token named ${tokenName} exists`)
    this.name = 'NameTaken'
  }
}

/**
 * Writes the token and its name guard in one transaction: both or neither, and a
 * taken name fails the whole write. Concurrent transactions on the same guard may be
 * cancelled as conflicts; those are retried, and then see the winner's guard.
 */
export async function putAccessToken(token: AccessTokenRecord): Promise<void> {
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
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    },
  ])
  if (refused?.[1] === 'ConditionalCheckFailed') throw new NameTaken(token.name)
  if (refused) throw new Error(`token ${token.id} was already written`) // ids come from a counter
}

export async function getAccessToken(
  team: string,
  username: string,
  id: number,
): Promise<AccessTokenRecord | undefined> {
  const { Item } = await db().send(
    new GetCommand({
      TableName: table(),
      Key: keys.accessToken(team, username, id),
      ConsistentRead: true,
    }),
  )
  return Item ? AccessToken.decode(Item) : undefined
}

/** All of a user's tokens in id order: one strongly consistent Query per 1 MB page. */
export async function listAccessTokens(
  team: string,
  username: string,
): Promise<AccessTokenRecord[]> {
  const tokens: AccessTokenRecord[] = []
  for await (const page of rangePages(ranges.accessTokens(team, username))) {
    for (const item of page.Items ?? []) tokens.push(AccessToken.decode(item))
  }
  return tokens
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
  const refused = await transact([
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
 * for any number of tokens. Returns how many tokens went.
 */
export async function deleteAllAccessTokens(team: string, username: string): Promise<number> {
  const tokenPrefix = ranges.accessTokens(team, username).prefix
  let deleted = 0
  for await (const page of rangePages(ranges.accessTokenItems(team, username), 'PK, SK')) {
    const itemKeys = (page.Items ?? []) as Key[]
    deleted += itemKeys.filter((key) => key.SK.startsWith(tokenPrefix)).length
    await deleteKeys(itemKeys)
  }
  return deleted
}

/**
 * Records use at most once per `minIntervalMs` per token, whatever the concurrency:
 * the condition lets only one writer through per interval, and never recreates a
 * token deleted meanwhile.
 */
export async function touchAccessToken(
  team: string,
  username: string,
  id: number,
  now: Date,
  minIntervalMs: number,
): Promise<void> {
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
  } catch (error) {
    if (!isConditionFailed(error)) throw error
  }
}
