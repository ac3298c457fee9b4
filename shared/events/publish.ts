import { describeError, log } from '../log.js'
import { putMetrics } from '../metrics.js'
import { type DomainEvent, type StreamRecord, toEvent } from './events.js'

/**
 * Per event: accepted; failed for now (throttling, an internal error: worth another
 * try); or refused for good (a malformed entry: retrying can't help).
 */
export type Outcome = 'accepted' | 'retryable' | 'rejected'

/** Where events go: EventBridge on AWS, a JSON-lines file locally. */
export interface EventSink {
  /** Publishes up to 10 events; answers, per event, its outcome. */
  put(events: DomainEvent[]): Promise<Outcome[]>
}

/** PutEvents takes at most 10 entries a call. */
export const BATCH = 10
const ATTEMPTS = 3

export interface BatchResult {
  /** Lambda's partial batch response: where to resume (the first record not published). */
  batchItemFailures: { itemIdentifier: string }[]
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Turns stream records into events and publishes them in order, 10 a call. Entries
 * that fail for now are retried (with backoff) on their own, never the accepted
 * ones. If some still fail, publishing stops and the answer names the first of them,
 * so Lambda retries from there: nothing before it is sent twice and nothing after it
 * is skipped (accepted entries of that same call may be sent again; `id` lets
 * consumers drop them). A bad record never blocks the shard: one that can't be read,
 * or whose event is refused for good, is logged and passed over.
 */
export async function publishRecords(
  records: StreamRecord[],
  sink: EventSink,
  wait: (ms: number) => Promise<unknown> = sleep,
): Promise<BatchResult> {
  const counts = { published: 0, failed: 0 }
  try {
    return await publish(records, sink, wait, counts)
  } finally {
    // EventsFailed: unreadable, refused for good, or still failing when this call gave up.
    putMetrics([
      { name: 'EventsPublished', value: counts.published },
      { name: 'EventsFailed', value: counts.failed },
    ])
  }
}

async function publish(
  records: StreamRecord[],
  sink: EventSink,
  wait: (ms: number) => Promise<unknown>,
  counts: { published: number; failed: number },
): Promise<BatchResult> {
  const pending: { event: DomainEvent; sequence: string }[] = []
  for (const record of records) {
    try {
      const event = toEvent(record)
      if (event) pending.push({ event, sequence: record.dynamodb?.SequenceNumber ?? '' })
    } catch (error) {
      counts.failed++
      log('error', 'unreadable stream record skipped', {
        eventID: record.eventID,
        ...describeError(error),
      })
    }
  }
  for (let start = 0; start < pending.length; start += BATCH) {
    let batch = pending.slice(start, start + BATCH)
    for (let attempt = 1; batch.length > 0; attempt++) {
      const outcomes = await sink.put(batch.map((entry) => entry.event))
      for (const [i, entry] of batch.entries()) {
        if (outcomes[i] === 'accepted') counts.published++
        if (outcomes[i] === 'rejected') counts.failed++
        if (outcomes[i] === 'rejected')
          log('error', 'event refused for good; skipped', {
            id: entry.event.id,
            type: entry.event.type,
          })
      }
      batch = batch.filter((_, i) => outcomes[i] === 'retryable')
      if (batch.length === 0) break
      if (attempt === ATTEMPTS) {
        counts.failed += batch.length
        const first = batch[0]
        log('warn', 'events not published; the stream will retry', {
          failed: batch.length,
          from: first?.sequence,
        })
        return { batchItemFailures: [{ itemIdentifier: first?.sequence ?? '' }] }
      }
      await wait(50 * 2 ** attempt)
    }
  }
  return { batchItemFailures: [] }
}
