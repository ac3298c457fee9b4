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

/** A request counted in its window, and whether it is the one to write `lastUsed`. */
export interface RequestTaken {
  verdict: RateVerdict
  /** This request claimed the token's `lastUsed` write for the current interval. */
  touch: boolean
}

/**
 * Counts one request against a token's limit: one conditional UpdateItem, exact under
 * any concurrency (DynamoDB applies the condition and the ADD atomically, so of N
 * simultaneous requests exactly `limit` succeed). Fixed windows aligned to the epoch,
 * each counted in its own small item beside the token rather than on the token item:
 * a write is billed by the size of the item it rewrites, and a token item with 1 KB of
 * meta would cost 2 write units a request instead of 1; a fresh window needs no reset
 * (a new key starts at nothing), and TTL removes old windows.
 *
 * `lastUsedEveryMs`, given when the token's `lastUsed` is due: the same write also
 * claims this interval's `lastUsed` write, and the old value it returns says whether
 * another request claimed it first. So of a burst that all read a stale `lastUsed`,
 * one request writes it, not each of them (a counted request pays one write, plus at
 * most one a minute for `lastUsed`, as an unlimited token does).
 */
export async function takeRequest(
  token: { team: string; username: string; id: number },
  rule: RateLimit,
  now: Date,
  lastUsedEveryMs?: number,
): Promise<RequestTaken> {
  const seconds = Math.floor(now.getTime() / 1000)
  const window = Math.floor(seconds / rule.windowSeconds)
  const reset = (window + 1) * rule.windowSeconds
  const claim = lastUsedEveryMs === undefined ? null : Math.floor(now.getTime() / lastUsedEveryMs)
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
    lastUsedClaim: claim,
  })
  const set = Object.entries(fields)
  try {
    // The old values: the count before this request's, and the claim before this one.
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
        ReturnValues: 'UPDATED_OLD',
      }),
    )
    const before = Attributes ? RateWindow.pick(Attributes, ['used', 'lastUsedClaim']) : undefined
    const used = (before?.used ?? 0) + 1
    return {
      verdict: {
        allowed: true,
        limit: rule.limit,
        remaining: Math.max(0, rule.limit - used),
        reset,
      },
      touch: claim !== null && before?.lastUsedClaim !== claim,
    }
  } catch (error) {
    if (!isConditionFailed(error)) throw error
    return { verdict: { allowed: false, limit: rule.limit, remaining: 0, reset }, touch: false }
  }
}
