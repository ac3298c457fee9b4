import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { deleteKeys } from './batch.js'
import { db, tableName } from './client.js'
import { isConditionFailed } from './errors.js'
import { type Key, keys, ranges } from './keys.js'
import { rangePages } from './page.js'
import { transact } from './transact.js'

export interface AccessTokenRecord {
  team: string
  username: string
  id: number
  name: string
  /** SHA-256 of the token's secret; the secret itself is never stored. */
  secretHash: string
  dateCreated: string
  lastUsed: string | null
  expiresAt: string | null
  /** Null: everything the user's role allows (a token made without scopes). */
  scopes: string[] | null
  /** Free-form JSON the owner attached; stored as its JSON text, so it comes back exactly. */
  meta: Record<string, unknown> | null
  rateLimit: RateLimit | null
}

/** At most `limit` requests per fixed window of `windowSeconds` (aligned to the epoch). */
export interface RateLimit {
  limit: number
  windowSeconds: number
}

function rateLimitOf(value: unknown): RateLimit | null {
  if (typeof value !== 'object' || value === null) return null
  const { limit, windowSeconds } = value as Record<string, unknown>
  return typeof limit === 'number' && typeof windowSeconds === 'number'
    ? { limit, windowSeconds }
    : null
}

export class NameTaken extends Error {
  constructor(readonly tokenName: string) {
    super(`a token named ${tokenName} exists`)
    this.name = 'NameTaken'
  }
}

function fromItem(item: Record<string, unknown>): AccessTokenRecord {
  return {
    team: String(item.team),
    username: String(item.username),
    id: Number(item.id),
    name: String(item.name),
    secretHash: String(item.secretHash),
    dateCreated: String(item.dateCreated),
    lastUsed: typeof item.lastUsed === 'string' ? item.lastUsed : null,
    expiresAt: typeof item.expiresAt === 'string' ? item.expiresAt : null,
    scopes: Array.isArray(item.scopes) ? item.scopes.map(String) : null,
    meta: typeof item.meta === 'string' ? JSON.parse(item.meta) : null,
    rateLimit: rateLimitOf(item.rateLimit),
  }
}

const epochSeconds = (iso: string) => Math.ceil(Date.parse(iso) / 1000)

/**
 * Writes the token and its name guard in one transaction: both or neither, and a
 * taken name fails the whole write. Concurrent transactions on the same guard may be
 * cancelled as conflicts; those are retried, and then see the winner's guard.
 */
export async function putAccessToken(token: AccessTokenRecord): Promise<void> {
  const ttl = token.expiresAt ? epochSeconds(token.expiresAt) : undefined
  const refused = await transact([
    {
      Put: {
        TableName: tableName,
        // lastUsed starts absent, not null: the touch condition compares it as a string.
        Item: {
          ...keys.accessToken(token.team, token.username, token.id),
          kind: 'AccessToken',
          team: token.team,
          username: token.username,
          id: token.id,
          name: token.name,
          secretHash: token.secretHash,
          dateCreated: token.dateCreated,
          expiresAt: token.expiresAt ?? undefined,
          scopes: token.scopes ?? undefined,
          meta: token.meta ? JSON.stringify(token.meta) : undefined,
          rateLimit: token.rateLimit ?? undefined,
          ttl,
        },
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    },
    {
      Put: {
        TableName: tableName,
        Item: {
          ...keys.accessTokenName(token.team, token.username, token.name),
          kind: 'AccessTokenName',
          tokenId: token.id,
          ttl,
        },
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
  const { Item } = await db.send(
    new GetCommand({
      TableName: tableName,
      Key: keys.accessToken(team, username, id),
      ConsistentRead: true,
    }),
  )
  return Item ? fromItem(Item) : undefined
}

/** All of a user's tokens in id order: one strongly consistent Query per 1 MB page. */
export async function listAccessTokens(
  team: string,
  username: string,
): Promise<AccessTokenRecord[]> {
  const tokens: AccessTokenRecord[] = []
  for await (const page of rangePages(ranges.accessTokens(team, username))) {
    for (const item of page.Items ?? []) tokens.push(fromItem(item))
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
        TableName: tableName,
        Key: keys.accessToken(team, username, id),
        ConditionExpression: 'attribute_exists(PK)',
      },
    },
    { Delete: { TableName: tableName, Key: keys.accessTokenName(team, username, token.name) } },
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
    await db.send(
      new UpdateCommand({
        TableName: tableName,
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
