import { QueryCommand } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { seedAccessTokens } from '../../bench/seed.js'
import { startTestApp } from '../support/app.js'

/**
 * Listing and delete-all must follow DynamoDB's 1 MB pages: enough tokens that both
 * take more than one Query page (checked, so the case can't silently shrink to one).
 */
const COUNT = 7_000

let app: Awaited<ReturnType<typeof startTestApp>>

// No change stream on this table: its ~28,000 stream records would sit on the run's
// shared DynamoDB Local (it keeps them 24 h) and slow every later file.
beforeAll(async () => {
  app = await startTestApp('acme', inject('dynamoEndpoint'), { stream: false })
})
afterAll(() => app?.close())

/** How many Query pages a request reads. */
async function queriesDuring(request: () => Promise<unknown>) {
  let queries = 0
  app.dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'QueryCommand') queries++
      return next(args)
    },
    { step: 'initialize', name: 'countQueries' },
  )
  try {
    await request()
  } finally {
    app.dynamo.middlewareStack.remove('countQueries')
  }
  return queries
}

it(`lists and deletes ${COUNT} tokens and their name guards, page after page`, async () => {
  const token = await app.addUser('acme', 'hoarder')
  await seedAccessTokens(app.db, app.tableName, { team: 'acme', username: 'hoarder' }, COUNT)
  let listed: Awaited<ReturnType<typeof app.api>> | undefined
  const listPages = await queriesDuring(async () => {
    listed = await app.api('GET', '/api/tokens', { token })
  })
  expect(listed?.body.tokens).toHaveLength(COUNT + 1)
  expect(listPages).toBeGreaterThan(1)

  let reply: Awaited<ReturnType<typeof app.api>> | undefined
  const deletePages = await queriesDuring(async () => {
    reply = await app.api('DELETE', '/api/tokens/delete-all', { token })
  })
  expect(reply?.status).toBe(204)
  expect(deletePages).toBeGreaterThan(1)

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
