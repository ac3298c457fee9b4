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

const GET_BATCH_SIZE = 100 // BatchGetItem's limit

/** A key as one string, to find a batch read's item by the key it was asked for. */
export const keyString = (key: Key) => `${key.PK}\u0000${key.SK}`

/** Reads one batch of at most 100 keys, strongly consistent, retrying unprocessed keys. */
async function readBatch(batch: Key[], found: Map<string, Record<string, unknown>>) {
  let pending: Record<string, unknown>[] = batch.map((key) => ({ PK: key.PK, SK: key.SK }))
  for (let attempt = 1; ; attempt++) {
    const { Responses, UnprocessedKeys } = await db().send(
      new BatchGetCommand({
        RequestItems: { [table()]: { Keys: pending, ConsistentRead: true } },
      }),
    )
    for (const item of Responses?.[table()] ?? [])
      found.set(keyString({ PK: String(item.PK), SK: String(item.SK) }), item)
    pending = UnprocessedKeys?.[table()]?.Keys ?? []
    if (pending.length === 0) return
    if (attempt === MAX_ATTEMPTS) {
      log('warn', 'batch reads unprocessed', { remaining: pending.length, attempts: attempt })
      throw serviceOffline()
    }
    await sleep(Math.random() * BASE_DELAY_MS * 2 ** attempt)
  }
}

/**
 * Reads a few items (at most 100) by key in one strongly consistent BatchGetItem,
 * retrying any the table leaves unprocessed. Items come back in no particular order.
 */
export async function getKeys(itemKeys: Key[]): Promise<Record<string, unknown>[]> {
  const found = new Map<string, Record<string, unknown>>()
  await readBatch(itemKeys, found)
  return [...found.values()]
}

/** As getKeys, answering each key's item (or undefined) in the order of the keys. */
export async function getEach(itemKeys: Key[]): Promise<(Record<string, unknown> | undefined)[]> {
  const found = new Map<string, Record<string, unknown>>()
  await readBatch(itemKeys, found)
  return itemKeys.map((key) => found.get(keyString(key)))
}

/**
 * Reads any number of items by key (duplicates read once): batches of 100, a few in
 * flight at once. Answers the items found, by `keyString` of their key.
 */
export async function getAll(itemKeys: Key[]): Promise<Map<string, Record<string, unknown>>> {
  const unique = [...new Map(itemKeys.map((key) => [keyString(key), key])).values()]
  const found = new Map<string, Record<string, unknown>>()
  const batches: Key[][] = []
  for (let i = 0; i < unique.length; i += GET_BATCH_SIZE)
    batches.push(unique.slice(i, i + GET_BATCH_SIZE))
  let next = 0
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++]
      if (batch) await readBatch(batch, found)
    }
  }
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, batches.length) }, worker))
  return found
}
