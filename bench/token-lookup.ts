/**
 * The raw cost of the ways a personal token can be read with its revocation mark, and
 * of listing (issue 16/17), on DynamoDB Local with the SDK alone: client CPU per
 * operation (stable on a noisy machine) and wall time, median of rounds.
 *
 *   npx tsx bench/token-lookup.ts [--ops 2000] [--rounds 5]
 */
import { parseArgs } from 'node:util'
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb'
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb'
import { launchDynamoDbLocal } from '../local/dynamodb.js'
import { median, round } from './stats.js'

const { values } = parseArgs({
  options: { ops: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '5' } },
})
const ops = Number(values.ops)
const rounds = Number(values.rounds)

const local = await launchDynamoDbLocal()
const dynamo = new DynamoDBClient({
  endpoint: local.endpoint,
  region: 'local',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
})
const db = DynamoDBDocumentClient.from(dynamo)
const TableName = 'lookup-bench'
await dynamo.send(
  new CreateTableCommand({
    TableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'PK', AttributeType: 'S' },
      { AttributeName: 'SK', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'PK', KeyType: 'HASH' },
      { AttributeName: 'SK', KeyType: 'RANGE' },
    ],
  }),
)
// A user with a mark and 10 tokens (typical), a user item in the team partition.
const PK = 'TEAM#acme#USER#alice'
const token = (id: number) => ({
  PK,
  SK: `PAT#${String(id).padStart(16, '0')}`,
  kind: 'AccessToken',
  id,
  name: `t${id}`,
  secretHash: 'x'.repeat(43),
  dateCreated: new Date().toISOString(),
})
const items = [
  { PK, SK: 'PAT#', kind: 'TokenRevocation', revokedThrough: 0 },
  ...Array.from({ length: 10 }, (_, i) => token(i + 1)),
  { PK: 'TEAM#acme', SK: 'USER#alice', kind: 'User', role: 'member', tokenSeq: 10 },
]
await db.send(
  new BatchWriteCommand({
    RequestItems: { [TableName]: items.map((Item) => ({ PutRequest: { Item } })) },
  }),
)
const key = { PK, SK: token(5).SK }

const cases: Record<string, () => Promise<unknown>> = {
  'GetItem (the token alone: before)': () =>
    db.send(new GetCommand({ TableName, Key: key, ConsistentRead: true })),
  'BatchGetItem token + mark, same partition (chosen)': () =>
    db.send(
      new BatchGetCommand({
        RequestItems: { [TableName]: { Keys: [{ PK, SK: 'PAT#' }, key], ConsistentRead: true } },
      }),
    ),
  'BatchGetItem token + user item (mark on the user)': () =>
    db.send(
      new BatchGetCommand({
        RequestItems: {
          [TableName]: { Keys: [{ PK: 'TEAM#acme', SK: 'USER#alice' }, key], ConsistentRead: true },
        },
      }),
    ),
  'list before: GetItem + Query': async () => {
    await db.send(new GetCommand({ TableName, Key: key, ConsistentRead: true }))
    await db.send(listQuery())
  },
  'list after: one Query (Limit 50)': () => db.send(listQuery(50)),
}
function listQuery(limit?: number) {
  return new QueryCommand({
    TableName,
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :p)',
    ExpressionAttributeValues: { ':pk': PK, ':p': 'PAT#' },
    ConsistentRead: true,
    ...(limit && { Limit: limit }),
  })
}

const results: Record<string, { cpuUsPerOp: number; wallUsPerOp: number }> = {}
for (const run of Object.values(cases)) for (let i = 0; i < 200; i++) await run() // warm
for (const [name, run] of Object.entries(cases)) {
  const cpu: number[] = []
  const wall: number[] = []
  for (let r = 0; r < rounds; r++) {
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    for (let i = 0; i < ops; i++) await run()
    wall.push(((performance.now() - t0) * 1000) / ops)
    const used = process.cpuUsage(c0)
    cpu.push((used.user + used.system) / ops)
  }
  results[name] = { cpuUsPerOp: round(median(cpu), 0), wallUsPerOp: round(median(wall), 0) }
}
console.table(results)
dynamo.destroy()
await local.stop()
