import { readFile, writeFile } from 'node:fs/promises'
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams'
import { sweepRecords } from '../shared/domain/sweeps.js'
import type { StreamRecord } from '../shared/events/events.js'
import { type EventSink, publishRecords } from '../shared/events/publish.js'
import { describeError, log } from '../shared/log.js'

/**
 * What Lambda's event source mapping does on AWS, for `npm start`: reads the table's
 * stream from DynamoDB Local and feeds the same publishRecords as the stream
 * function, with a local sink. It remembers the last record handled per shard in a
 * checkpoint file, so a restart neither repeats nor loses events.
 */
export interface StreamPoller {
  stop(): Promise<void>
}

type Checkpoints = Record<string, string>

/**
 * DynamoDB Local rounds a record's ApproximateCreationDateTime down to the minute
 * (AWS, to the second), and a token's deletion event has no other time. A record
 * read within the minute it is stamped with is dated when it was read instead: with
 * a poll every 100 ms that is within a poll of the change, where the stamp can be
 * 59 s early.
 */
function approximateTime(stamped: Date | undefined, readAt: number): number | undefined {
  if (!stamped) return undefined
  const fresh = stamped.getTime() % 60_000 === 0 && readAt - stamped.getTime() < 60_000
  return (fresh ? Math.max(readAt, stamped.getTime()) : stamped.getTime()) / 1000
}

/** The SDK's record, in the JSON shape Lambda hands the stream function. */
export const asLambdaRecord = (record: _Record, readAt = Date.now()): StreamRecord => ({
  eventID: record.eventID,
  eventName: record.eventName,
  userIdentity: record.userIdentity && {
    type: record.userIdentity.Type,
    principalId: record.userIdentity.PrincipalId,
  },
  dynamodb: {
    ...record.dynamodb,
    ApproximateCreationDateTime: approximateTime(
      record.dynamodb?.ApproximateCreationDateTime,
      readAt,
    ),
  } as StreamRecord['dynamodb'],
})

export async function startStreamPoller(options: {
  dynamo: DynamoDBClient
  tableName: string
  sink: EventSink
  /** Where to remember progress; none for a store that is not kept. */
  checkpointFile?: string
  intervalMs?: number
}): Promise<StreamPoller> {
  const { Table } = await options.dynamo.send(
    new DescribeTableCommand({ TableName: options.tableName }),
  )
  const streamArn = Table?.LatestStreamArn
  if (!streamArn) throw new Error(`table ${options.tableName} has no stream`)
  const config = await options.dynamo.config.endpoint?.()
  const streams = new DynamoDBStreamsClient({
    region: await options.dynamo.config.region(),
    credentials: await options.dynamo.config.credentials(),
    endpoint: config ? `${config.protocol}//${config.hostname}:${config.port}` : undefined,
  })
  let checkpoints: Checkpoints = {}
  try {
    if (options.checkpointFile)
      checkpoints = JSON.parse(await readFile(options.checkpointFile, 'utf8'))
  } catch {
    // First run: read each shard from its oldest record.
  }
  const iterators = new Map<string, string | undefined>() // shard -> iterator (undefined: closed)
  let stopped = false
  let timer: NodeJS.Timeout | undefined

  const discover = async () => {
    const shards: Shard[] = []
    let page: string | undefined // DescribeStream lists 100 shards a call
    do {
      const { StreamDescription } = await streams.send(
        new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: page }),
      )
      shards.push(...(StreamDescription?.Shards ?? []))
      page = StreamDescription?.LastEvaluatedShardId
    } while (page)
    // Keep nothing about shards the stream no longer lists (a stream keeps 24 hours of
    // records): this poller's memory and its checkpoint file stay the size of what
    // the stream itself keeps, however long it runs.
    const listed = new Set(shards.map((shard) => shard.ShardId))
    for (const id of iterators.keys()) if (!listed.has(id)) iterators.delete(id)
    for (const id of Object.keys(checkpoints)) if (!listed.has(id)) delete checkpoints[id]
    for (const shard of shards) {
      const id = shard.ShardId
      if (!id || iterators.has(id)) continue
      const after = checkpoints[id]
      const { ShardIterator } = await streams.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: id,
          ...(after
            ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }
            : { ShardIteratorType: 'TRIM_HORIZON' }),
        }),
      )
      iterators.set(id, ShardIterator)
    }
  }

  const pollOnce = async () => {
    for (const [shard, iterator] of iterators) {
      if (!iterator) continue
      const { Records = [], NextShardIterator } = await streams.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 }),
      )
      if (Records.length > 0) {
        const readAt = Date.now()
        const records = Records.map((record) => asLambdaRecord(record, readAt))
        await sweepRecords(records) // a failed step: the same records again next tick
        const { batchItemFailures } = await publishRecords(records, options.sink)
        if (batchItemFailures.length > 0) return // same iterator again next tick
        const last = Records.at(-1)?.dynamodb?.SequenceNumber
        if (last) checkpoints[shard] = last
        if (last && options.checkpointFile)
          await writeFile(options.checkpointFile, JSON.stringify(checkpoints), { mode: 0o600 })
      }
      iterators.set(shard, NextShardIterator)
    }
  }

  let ticks = 0
  const loop = async () => {
    if (stopped) return
    try {
      // New shards appear as old ones close (DynamoDB Local rolls them over too).
      if (ticks++ % 20 === 0) await discover()
      await pollOnce()
    } catch (error) {
      log('warn', 'stream poll failed; retrying', describeError(error))
    }
    if (!stopped) timer = setTimeout(loop, options.intervalMs ?? 250)
  }
  await discover()
  timer = setTimeout(loop, 0)
  return {
    async stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      streams.destroy()
    },
  }
}
