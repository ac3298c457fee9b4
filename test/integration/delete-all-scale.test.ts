import { QueryCommand } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { seedAccessTokens } from '../../bench/seed.js'
import { type DynamoDbLocal, launchDynamoDbLocal } from '../../local/dynamodb.js'
import { startTestApp } from '../support/app.js'

const COUNT = 10_000

let app: Awaited<ReturnType<typeof startTestApp>>
let dynamodb: DynamoDbLocal

// Its own DynamoDB Local: 40,000 stream records (DynamoDB Local keeps them for 24 h)
// slow every later call on that instance by ~8x, which would skew the other files.
beforeAll(async () => {
  dynamodb = await launchDynamoDbLocal()
  app = await startTestApp('acme', dynamodb.endpoint)
})
afterAll(async () => {
  await app?.close()
  await dynamodb?.stop()
})

it(`delete-all removes ${COUNT} tokens and their name guards`, async () => {
  const token = await app.addUser('acme', 'hoarder')
  await seedAccessTokens(app.db, app.tableName, { team: 'acme', username: 'hoarder' }, COUNT)
  const listed = await app.api('GET', '/api/tokens', { token })
  expect(listed.body.tokens).toHaveLength(COUNT + 1)

  const reply = await app.api('DELETE', '/api/tokens/delete-all', { token })
  expect(reply.status).toBe(204)

  const left = await app.db.send(
    new QueryCommand({
      TableName: app.tableName,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': 'TEAM#acme#USER#hoarder' },
      Select: 'COUNT',
    }),
  )
  expect(left.Count).toBe(0)
})
