import { UpdateCommand } from '@aws-sdk/lib-dynamodb'
import type { RateLimit } from './access-tokens.js'
import { db, tableName } from './client.js'
import { isConditionFailed } from './errors.js'
import { keys } from './keys.js'

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
  try {
    const { Attributes } = await db.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.rateWindow(token.team, token.username, token.id, window),
        UpdateExpression: 'SET #kind = :kind, #ttl = :ttl ADD used :one',
        ConditionExpression: 'attribute_not_exists(used) OR used < :limit',
        ExpressionAttributeNames: { '#kind': 'kind', '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ':kind': 'RateWindow',
          ':ttl': reset + 60,
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
