import {
  BatchGetCommand,
  BatchWriteCommand,
  type BatchWriteCommandInput,
} from '@aws-sdk/lib-dynamodb'
import { serviceOffline } from '../errors.js'
import { log } from '../log.js'
import { db, table } from './client.js'
import type { Key } from './keys.js'

const BATCH_SIZE = 25 // BatchWriteItem's limit
const IN_FLIGHT = 4
const MAX_ATTEMPTS = 8
const BASE_DELAY_MS = 25

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export type WriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number]

/** Writes one batch of at most 25 requests, retrying unprocessed items with jittered backoff. */
async function writeBatch(batch: WriteRequest[]): Promise<void> {
  let requests = batch
  for (let attempt = 1; ; attempt++) {
    const { UnprocessedItems } = await db().send(
      new BatchWriteCommand({ RequestItems: { [table()]: requests } }),
    )
    requests = UnprocessedItems?.[table()] ?? []
    if (requests.length === 0) return
    if (attempt === MAX_ATTEMPTS) {
      // The table kept refusing part of the batch: an outage, said as one.
      log('warn', 'batch writes unprocessed', { remaining: requests.length, attempts: attempt })
      throw serviceOffline()
    }
    await sleep(Math.random() * BASE_DELAY_MS * 2 ** attempt)
  }
}

/** Any number of puts and deletes: batches of 25, a few batches in flight at once. */
export async function writeAll(requests: WriteRequest[]): Promise<void> {
  const batches: WriteRequest[][] = []
  for (let i = 0; i < requests.length; i += BATCH_SIZE) {
    batches.push(requests.slice(i, i + BATCH_SIZE))
  }
  let next = 0
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++]
      if (batch) await writeBatch(batch)
    }
  }
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, batches.length) }, worker))
}

/** Deletes any number of items by key. */
export const deleteKeys = (itemKeys: Key[]) =>
  writeAll(itemKeys.map((Key) => ({ DeleteRequest: { Key } })))

/**
 * Reads a few items (at most 100) by key in one strongly consistent BatchGetItem,
 * retrying any the table leaves unprocessed. Items come back in no particular order.
 */
export async function getKeys(itemKeys: Key[]): Promise<Record<string, unknown>[]> {
  const found: Record<string, unknown>[] = []
  let pending: Record<string, unknown>[] = itemKeys.map((key) => ({ PK: key.PK, SK: key.SK }))
  for (let attempt = 1; ; attempt++) {
    const { Responses, UnprocessedKeys } = await db().send(
      new BatchGetCommand({
        RequestItems: { [table()]: { Keys: pending, ConsistentRead: true } },
      }),
    )
    found.push(...(Responses?.[table()] ?? []))
    pending = UnprocessedKeys?.[table()]?.Keys ?? []
    if (pending.length === 0) return found
    if (attempt === MAX_ATTEMPTS) {
      log('warn', 'batch reads unprocessed', { remaining: pending.length, attempts: attempt })
      throw serviceOffline()
    }
    await sleep(Math.random() * BASE_DELAY_MS * 2 ** attempt)
  }
}
