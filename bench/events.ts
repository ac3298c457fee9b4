/**
 * Section "events": a write to DynamoDB Local, its stream, the poller (every 100 ms,
 * as `npm start` polls) and the publisher. Its own table, with a stream, so the rest
 * of the bench stays fast (DynamoDB Local slows as stream records pile up).
 */
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb'
import { type Report, type Spread, show, spread } from './stats.js'

export interface EventsResult {
  events: number
  pollIntervalMs: number
  delayMs: Spread
  p99Ms: number
}

export async function measureEvents(dynamo: DynamoDBClient, count: number): Promise<EventsResult> {
  const { ensureTable } = await import('../local/ensure-table.js')
  const { startStreamPoller } = await import('../local/stream-poller.js')
  const tableName = `latchkey-events-${Date.now()}`
  await ensureTable(dynamo, tableName, { stream: true })
  const seen = new Map<string, number>()
  const poller = await startStreamPoller({
    dynamo,
    tableName,
    intervalMs: 100,
    sink: {
      put: async (batch) => {
        for (const event of batch) seen.set(String(event.detail.project), performance.now())
        return batch.map(() => 'accepted' as const)
      },
    },
  })
  const db = DynamoDBDocumentClient.from(dynamo)
  const delays: number[] = []
  for (let i = 0; i < count; i++) {
    const name = `p${i}`
    const written = performance.now()
    await db.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          PK: 'TEAM#bench',
          SK: `PROJECT#${name}`,
          kind: 'Project',
          team: 'bench',
          name,
          createdAt: new Date().toISOString(),
          createdBy: 'bench',
        },
      }),
    )
    while (!seen.has(name)) await new Promise((resolve) => setTimeout(resolve, 2))
    delays.push((seen.get(name) ?? written) - written)
  }
  await poller.stop()
  await dynamo.send(new DeleteTableCommand({ TableName: tableName }))
  const sorted = [...delays].sort((a, b) => a - b)
  const p99 = sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))] ?? 0
  return {
    events: count,
    pollIntervalMs: 100,
    delayMs: spread(delays, 1),
    p99Ms: Math.round(p99 * 10) / 10,
  }
}

export function printEvents(report: Report, result: EventsResult) {
  report.log('\nEvent latency, locally: write -> stream -> poller -> publisher; ms')
  report.table([{ ...result, delayMs: show(result.delayMs) }])
}
