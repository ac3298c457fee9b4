/**
 * DynamoDB Local's memory over a long run: N writes (each one stream record) to a
 * table with a stream, on disk as `npm start` keeps it, with the local stream poller
 * reading them as `npm start` does; Java's resident memory (VmRSS) every 10,000.
 * `npx tsx bench/java-memory.ts [writes] [--seconds N] [--in-memory]`; on disk each
 * write is an fsync'd SQLite commit, so a few hundred a second on a busy disk.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

import { randomUUID } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { javaOptions, launchDynamoDbLocal } from '../local/dynamodb.js'
import { ensureTable } from '../local/ensure-table.js'
import { startStreamPoller } from '../local/stream-poller.js'

const writes = Number(process.argv[2] ?? 400_000)
const inMemory = process.argv.includes('--in-memory')
const secondsAt = process.argv.indexOf('--seconds')
const seconds = secondsAt > 0 ? Number(process.argv[secondsAt + 1]) : Number.POSITIVE_INFINITY
const dataDir = await mkdtemp(join(tmpdir(), 'latchkey-javamem-'))
const dynamodb = await launchDynamoDbLocal(inMemory ? {} : { dataDir })
const client = new DynamoDBClient({
  endpoint: dynamodb.endpoint,
  region: 'local',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
})
const tableName = 'javamem'
await ensureTable(client, tableName)
const poller = await startStreamPoller({
  dynamo: client,
  tableName,
  intervalMs: 100,
  sink: { put: async (events) => events.map(() => 'accepted' as const) },
})
const rssMb = async () => {
  const status = await readFile(`/proc/${dynamodb.pid}/status`, 'utf8')
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024)
}
console.log(
  `java ${javaOptions().join(' ')}, ${inMemory ? 'in memory' : 'on disk'}; start: ${await rssMb()} MB`,
)
const started = Date.now()
let written = 0
let reportAt = 10_000
const writer = async () => {
  while (written < writes && Date.now() - started < seconds * 1000) {
    written += 25
    const items = Array.from({ length: 25 }, () => ({
      PutRequest: {
        Item: {
          PK: { S: `TEAM#t#USER#${randomUUID()}` },
          SK: { S: 'PAT#0000000000000001' },
          kind: { S: 'AccessToken' },
          name: { S: 'a token name of ordinary length' },
          hash: { S: randomUUID().repeat(2) },
        },
      },
    }))
    await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: items } }))
    if (written >= reportAt) {
      reportAt += 10_000
      console.log(
        `${written} writes, ${Math.round((Date.now() - started) / 1000)} s: ${await rssMb()} MB`,
      )
    }
  }
}
await Promise.all([writer(), writer(), writer(), writer()])
console.log(`done: ${written} writes; java ${await rssMb()} MB`)
await poller.stop()
client.destroy()
await dynamodb.stop()
await rm(dataDir, { recursive: true, force: true })
