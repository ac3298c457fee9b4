import { BatchWriteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { keys } from '../../shared/data/keys.js'
import { startTestApp } from '../support/app.js'

const COUNT = 10_000

let app: Awaited<ReturnType<typeof startTestApp>>

beforeAll(async () => {
  app = await startTestApp()
})
afterAll(() => app?.close())

/** Seeds tokens and name guards straight into the table: 10,000 API calls would take minutes. */
async function seed(team: string, username: string, count: number) {
  const items = []
  for (let id = 1000; id < 1000 + count; id++) {
    items.push({ ...keys.accessToken(team, username, id), kind: 'AccessToken', id, name: `t${id}` })
    items.push({
      ...keys.accessTokenName(team, username, `t${id}`),
      kind: 'AccessTokenName',
      tokenId: id,
    })
  }
  const batches: (typeof items)[] = []
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25))
  let next = 0
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++] ?? []
      const request = batch.map((Item) => ({ PutRequest: { Item } }))
      const { UnprocessedItems } = await app.db.send(
        new BatchWriteCommand({ RequestItems: { [app.tableName]: request } }),
      )
      expect(UnprocessedItems?.[app.tableName] ?? []).toEqual([])
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker))
}

it(`delete-all removes ${COUNT} tokens and their name guards`, async () => {
  const token = await app.addUser('acme', 'hoarder')
  await seed('acme', 'hoarder', COUNT)
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
