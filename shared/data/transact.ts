import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb'
import { db } from './client.js'
import { type CancellationReason, cancellationReasons } from './errors.js'

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number]

const CONFLICT_RETRIES = 12
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Writes the items all or nothing. Answers undefined when written, or each item's
 * cancellation reason when a condition refused it, so the caller can say which.
 * Cancellations by concurrent transactions on the same items (TransactionConflict)
 * are retried with jittered, growing backoff; they then see the winner's writes.
 */
export async function transact(items: TransactItem[]): Promise<CancellationReason[] | undefined> {
  const command = new TransactWriteCommand({ TransactItems: items })
  for (let attempt = 1; ; attempt++) {
    try {
      await db().send(command)
      return undefined
    } catch (error) {
      const reasons = cancellationReasons(error)
      if (reasons?.includes('ConditionalCheckFailed')) return reasons
      if (!reasons?.includes('TransactionConflict') || attempt === CONFLICT_RETRIES) throw error
      await sleep(Math.random() * 10 * 2 ** Math.min(attempt, 5))
    }
  }
}
