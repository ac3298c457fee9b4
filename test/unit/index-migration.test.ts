import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, expect, it } from 'vitest'
import { migrateIndexKeys } from '../../shared/domain/index-migration.js'

const ddb = mockClient(DynamoDBDocumentClient)
const TABLE = 'latchkey-unit'
const NOW = new Date('2026-11-22T10:00:00.000Z')
const STATE_KEY = { PK: 'MIGRATION', SK: 'INDEX_KEYS' }

beforeEach(() => ddb.reset())

const oldToken = {
  PK: 'TEAM#acme#USER#bob',
  SK: 'PAT#0000000000000002',
  kind: 'AccessToken',
  team: 'acme',
  username: 'bob',
  id: 2,
  name: 'ci',
  secretHash: 'h',
  dateCreated: '2026-11-01T00:00:00.000Z',
  expiresAt: '2026-11-25T00:00:00.000Z',
}

it('scans for indexed kinds without index keys and writes each key conditionally', async () => {
  ddb.on(GetCommand).resolves({})
  ddb.on(ScanCommand).resolves({
    Items: [oldToken, { PK: 'TEAM#old', SK: 'TEAM', kind: 'Team', name: 'old', createdAt: 'x' }],
    ScannedCount: 7,
    LastEvaluatedKey: { PK: 'TEAM#old', SK: 'TEAM' },
  })
  ddb.on(UpdateCommand).resolves({})
  expect(await migrateIndexKeys(NOW, 7)).toEqual({ scanned: 7, indexed: 2, done: false })
  expect(ddb).toHaveReceivedCommandWith(GetCommand, {
    TableName: TABLE,
    Key: STATE_KEY,
    ConsistentRead: true,
  })
  expect(ddb).toHaveReceivedCommandTimes(ScanCommand, 1)
  expect(ddb).toHaveReceivedCommandWith(ScanCommand, {
    TableName: TABLE,
    FilterExpression: 'attribute_not_exists(#pk) AND #kind IN (:k0, :k1)',
    ExpressionAttributeNames: { '#pk': 'GSI1PK', '#kind': 'kind' },
    ExpressionAttributeValues: { ':k0': 'Team', ':k1': 'AccessToken' },
    Limit: 7,
    ExclusiveStartKey: undefined,
  })
  // The token's key as its declaration makes it: due at its 7-day warning.
  expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
    TableName: TABLE,
    Key: { PK: 'TEAM#acme#USER#bob', SK: 'PAT#0000000000000002' },
    UpdateExpression: 'SET #pk = :pk, #sk = :sk',
    ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(#pk)',
    ExpressionAttributeNames: { '#pk': 'GSI1PK', '#sk': 'GSI1SK' },
    ExpressionAttributeValues: {
      ':pk': 'TEAM#acme#TOKENS',
      ':sk': '2026-11-18T00:00:00.000Z#bob#0000000000000002',
    },
  })
  expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
    Key: { PK: 'TEAM#old', SK: 'TEAM' },
    ExpressionAttributeValues: { ':pk': 'TEAMS', ':sk': 'old' },
  })
  // Where it stopped, for the next run.
  expect(ddb).toHaveReceivedCommandWith(PutCommand, {
    TableName: TABLE,
    Item: {
      ...STATE_KEY,
      kind: 'IndexMigration',
      cursor: JSON.stringify({ PK: 'TEAM#old', SK: 'TEAM' }),
      pass: 1,
      passIndexed: 2,
      scanned: 7,
      indexed: 2,
      updatedAt: NOW.toISOString(),
    },
  })
})

it('resumes from the saved cursor, and a pass that indexed anything is followed by another', async () => {
  ddb.on(GetCommand).resolves({
    Item: {
      ...STATE_KEY,
      kind: 'IndexMigration',
      cursor: '{"PK":"A","SK":"B"}',
      pass: 1,
      passIndexed: 3,
    },
  })
  ddb.on(ScanCommand).resolves({ Items: [], ScannedCount: 4 })
  expect(await migrateIndexKeys(NOW, 4)).toEqual({ scanned: 4, indexed: 0, done: false })
  expect(ddb).toHaveReceivedCommandWith(ScanCommand, { ExclusiveStartKey: { PK: 'A', SK: 'B' } })
  expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({
    pass: 2,
    passIndexed: 0,
  })
  expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.Item?.cursor).toBeUndefined()
})

it('finishes with a pass that found nothing, and then costs one GetItem a run', async () => {
  ddb.on(GetCommand).resolves({
    Item: { ...STATE_KEY, kind: 'IndexMigration', pass: 2, passIndexed: 0 },
  })
  ddb.on(ScanCommand).resolves({ Items: [], ScannedCount: 3 })
  expect(await migrateIndexKeys(NOW)).toEqual({ scanned: 3, indexed: 0, done: true })
  expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.Item?.finishedAt).toBe(NOW.toISOString())

  ddb.reset()
  ddb.on(GetCommand).resolves({ Item: { ...STATE_KEY, finishedAt: NOW.toISOString() } })
  expect(await migrateIndexKeys(NOW)).toEqual({ scanned: 0, indexed: 0, done: true })
  expect(ddb.calls()).toHaveLength(1)
})
