import { UpdateCommand } from '@aws-sdk/lib-dynamodb'
import type { RateLimit } from './access-tokens.js'
import { db, table } from './client.js'
import { RateWindow } from './entities.js'
import { isConditionFailed } from './errors.js'

/** Where a request stands in its token's window (API.md, Rate limits; ASA's header names). */
export interface RateVerdict {
  allowed: boolean
  limit: number
  remaining: number
  /** When the window ends, unix seconds. */
  reset: number
}

/**
 * Counts one request against a token's limit: one conditional UpdateItem, exact under
 * any concurrency (DynamoDB applies the condition and the ADD atomically, so of N
 * simultaneous requests exactly `limit` succeed). Fixed windows aligned to the epoch,
 * each counted in its own small item beside the token rather than on the token item:
 * a write is billed by the size of the item it rewrites, and a token item with 1 KB of
 * meta would cost 2 write units a request instead of 1; a fresh window needs no reset
 * (a new key starts at nothing), and TTL removes old windows.
 */
export async function takeRequest(
  token: { team: string; username: string; id: number },
  rule: RateLimit,
  now: Date,
): Promise<RateVerdict> {
  const seconds = Math.floor(now.getTime() / 1000)
  const window = Math.floor(seconds / rule.windowSeconds)
  const reset = (window + 1) * rule.windowSeconds
  // Every declared attribute (kind and TTL included) is set; the count is added.
  const {
    PK,
    SK,
    used: _,
    ...fields
  } = RateWindow.item({
    team: token.team,
    username: token.username,
    tokenId: token.id,
    window,
    windowSeconds: rule.windowSeconds,
    used: 0,
  })
  const set = Object.entries(fields)
  try {
    const { Attributes } = await db().send(
      new UpdateCommand({
        TableName: table(),
        Key: { PK, SK },
        UpdateExpression: `SET ${set.map((_, i) => `#a${i} = :a${i}`).join(', ')} ADD used :one`,
        ConditionExpression: 'attribute_not_exists(used) OR used < :limit',
        ExpressionAttributeNames: Object.fromEntries(set.map(([name], i) => [`#a${i}`, name])),
        ExpressionAttributeValues: {
          ...Object.fromEntries(set.map(([, value], i) => [`:a${i}`, value])),
          ':one': 1,
          ':limit': rule.limit,
        },
        ReturnValues: 'UPDATED_NEW',
      }),
    )
    const used = Number(Attributes?.used ?? rule.limit)
    return { allowed: true, limit: rule.limit, remaining: Math.max(0, rule.limit - used), reset }
  } catch (error) {
    if (!isConditionFailed(error)) throw error
    return { allowed: false, limit: rule.limit, remaining: 0, reset }
  }
}
