import { QueryCommand } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { seedAccessTokens } from '../../bench/seed.js'
import { startTestApp } from '../support/app.js'
import { callsDuring as callsOf } from '../support/calls.js'

/**
 * Listing must follow DynamoDB's 1 MB pages, and delete-all must not: enough tokens that
 * a listing takes more than one Query page (checked, so the case can't silently shrink
 * to one), while delete-all stays one Query and one write.
 */
const COUNT = 7_000

let app: Awaited<ReturnType<typeof startTestApp>>

// No change stream on this table: its ~28,000 stream records would sit on the run's
// shared DynamoDB Local (it keeps them 24 h) and slow every later file.
beforeAll(async () => {
  app = await startTestApp('acme', inject('dynamoEndpoint'), { stream: false })
})
afterAll(() => app?.close())

/** How many calls of each command a request makes. */
const callsDuring = (request: () => Promise<unknown>) => callsOf(app, request)

it(`lists ${COUNT} tokens page after page, and revokes them all with one Query and one write`, async () => {
  const token = await app.addUser('acme', 'hoarder')
  await seedAccessTokens(app.db, app.tableName, { team: 'acme', username: 'hoarder' }, COUNT)
  let listed: Awaited<ReturnType<typeof app.api>> | undefined
  const listCalls = await callsDuring(async () => {
    listed = await app.api('GET', '/api/tokens', { token })
  })
  expect(listed?.body.tokens).toHaveLength(COUNT + 1)
  expect(listCalls.QueryCommand).toBeGreaterThan(2) // the authenticating page, then 1 MB pages

  let reply: Awaited<ReturnType<typeof app.api>> | undefined
  const deleteCalls = await callsDuring(async () => {
    reply = await app.api('DELETE', '/api/tokens/delete-all', { token })
  })
  expect(reply?.status).toBe(204)
  // the lookup, the highest id, then one transaction: the mark (written whole by its
  // declaration) with its mirror and the quota's count set to 0 on the user item
  expect(deleteCalls).toEqual({
    BatchGetItemCommand: 1,
    QueryCommand: 1,
    TransactWriteItemsCommand: 1,
  })
  expect((await app.api('GET', '/api/tokens', { token })).status).toBe(401)

  // The items stay until the change stream deletes them (delete-all-async.test.ts).
  const left = await app.db.send(
    new QueryCommand({
      TableName: app.tableName,
      KeyConditionExpression: 'PK = :pk AND SK = :mark',
      ExpressionAttributeValues: { ':pk': 'TEAM#acme#USER#hoarder', ':mark': 'PAT#' },
    }),
  )
  expect(left.Items?.[0]?.revokedThrough).toBe(1000 + COUNT - 1)
})
