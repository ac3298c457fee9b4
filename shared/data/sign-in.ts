import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { serviceOffline } from '../errors.js'
import { getAll, keyString } from './batch.js'
import { db, table } from './client.js'
import { SignInAttempts } from './entities.js'
import { isConditionFailed, refusedNumber } from './errors.js'
import { keys } from './keys.js'

export interface AttemptLimit {
  /** Attempts allowed per window. */
  max: number
  windowMs: number
}

/**
 * Takes one password attempt for a username out of its window's allowance, before
 * the password is checked, so concurrent guesses can never exceed the limit. Inside
 * an open window it is an atomic, conditional ADD; once the window has passed (or
 * there was none) a conditional put opens a new one. TTL removes the item after its
 * window. Returns undefined when the attempt may go ahead, else the epoch
 * milliseconds at which the window reopens.
 */
export async function takeAttempt(
  team: string,
  username: string,
  now: number,
  limit: AttemptLimit,
): Promise<number | undefined> {
  const Key = keys.signInAttempts(team, username)
  const cutoff = now - limit.windowMs
  for (let attempt = 0; ; attempt++) {
    try {
      await db().send(
        new UpdateCommand({
          TableName: table(),
          Key,
          UpdateExpression: 'ADD attempts :one',
          ConditionExpression: 'windowStart > :cutoff AND attempts < :max',
          ExpressionAttributeValues: { ':one': 1, ':cutoff': cutoff, ':max': limit.max },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      )
      return undefined
    } catch (error) {
      if (!isConditionFailed(error)) throw error
      const windowStart = refusedNumber(error, 'windowStart')
      if (windowStart !== undefined && windowStart > cutoff) return windowStart + limit.windowMs
    }
    try {
      await db().send(
        new PutCommand({
          TableName: table(),
          Item: SignInAttempts.item({
            team,
            username,
            attempts: 1,
            windowStart: now,
            windowEnd: now + limit.windowMs,
          }),
          ConditionExpression: 'attribute_not_exists(PK) OR windowStart <= :cutoff',
          ExpressionAttributeValues: { ':cutoff': cutoff },
        }),
      )
      return undefined
    } catch (error) {
      if (!isConditionFailed(error)) throw error
      // Another request opened the window first: count into it, once. Losing both
      // rounds means the window churns under heavy contention: busy, not a fault.
      if (attempt > 0) throw serviceOffline()
    }
  }
}

/** A successful sign-in gives the username its whole allowance back. */
export async function clearAttempts(team: string, username: string): Promise<void> {
  await db().send(
    new DeleteCommand({ TableName: table(), Key: keys.signInAttempts(team, username) }),
  )
}

export interface AttemptWindow {
  attempts: number
  /** Epoch milliseconds. */
  windowStart: number
}

/**
 * The open or past attempt windows of some usernames, by username (none: no window
 * is stored), in batches of 100 keys.
 */
export async function readAttempts(
  team: string,
  usernames: readonly string[],
): Promise<Map<string, AttemptWindow>> {
  const windows = new Map<string, AttemptWindow>()
  if (usernames.length === 0) return windows
  const found = await getAll(usernames.map((username) => keys.signInAttempts(team, username)))
  for (const username of usernames) {
    const item = found.get(keyString(keys.signInAttempts(team, username)))
    if (!item) continue
    const { attempts, windowStart } = SignInAttempts.decode(item)
    windows.set(username, { attempts, windowStart })
  }
  return windows
}
