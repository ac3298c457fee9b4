import { BatchWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { seedAccessTokens } from '../../bench/seed.js'
import type { AccessTokenRecord } from '../../shared/data/access-tokens.js'
import { AccessToken, AccessTokenName } from '../../shared/data/entities.js'
import { keys } from '../../shared/data/keys.js'
import { LIST_BUDGET_BYTES, listedBytes } from '../../shared/domain/access-tokens.js'
import { startTestApp } from '../support/app.js'
import { callsDuring } from '../support/calls.js'

/**
 * GET /api/tokens answers every token of the caller at once (API.md), so what one user
 * may hold bounds it: the quota's most (1,000 tokens) in a few Queries, and a listing
 * kept within 5 MB by creates (Lambda's response limit is 6 MB) however large the tokens.
 */
let app: Awaited<ReturnType<typeof startTestApp>>

// No change stream: the thousands of seeded items would sit in the shared DynamoDB Local's.
beforeAll(async () => {
  app = await startTestApp('acme', inject('dynamoEndpoint'), { stream: false })
})
afterAll(() => app?.close())

let keeper = ''
const KEEPER_IDS = [1, ...Array.from({ length: 1000 }, (_, i) => 1000 + i)]

it('lists the most tokens the quota allows (1,000 and the first) in 2 Queries, by id', async () => {
  const token = await app.addUser('acme', 'keeper')
  keeper = token
  await seedAccessTokens(app.db, app.tableName, { team: 'acme', username: 'keeper' }, 1000)
  let reply: Awaited<ReturnType<typeof app.api>> | undefined
  const calls = await callsDuring(app, async () => {
    reply = await app.api('GET', '/api/tokens', { token })
  })
  expect(reply?.status).toBe(200)
  const ids = ((reply?.body.tokens ?? []) as { id: number }[]).map((listed) => listed.id)
  expect(ids).toEqual(KEEPER_IDS)
  // The first page (50) authenticates and starts the list; the rest is one 1 MB page.
  // The token's first use also records lastUsed (one conditional UpdateItem).
  expect(calls).toEqual({ QueryCommand: 2, UpdateItemCommand: 1 })
})

it('lists them whole to many callers at once: every answer 200 and the same', async () => {
  const replies = await Promise.all(
    Array.from({ length: 40 }, () => app.api('GET', '/api/tokens', { token: keeper })),
  )
  expect(replies.map((reply) => reply.status)).toEqual(replies.map(() => 200))
  for (const reply of replies)
    expect((reply.body.tokens as { id: number }[]).map((listed) => listed.id)).toEqual(KEEPER_IDS)
})

it('keeps a listing within 5 MB: a create that would pass it is 403 quota_exceeded', async () => {
  const owner = { team: 'acme', username: 'packrat' }
  const token = await app.addUser(owner.team, owner.username)
  // Tokens as large as the API makes them: 50 scopes of 100 characters, 1 KB of meta in
  // 3-byte characters. As many as leave room for one plain token, not for another large one.
  const now = new Date().toISOString()
  const large = (id: number): AccessTokenRecord => ({
    ...owner,
    id,
    name: `large ${id}`,
    secretHash: 'seeded-no-secret',
    previousHash: null,
    previousValidUntil: null,
    rotatedAt: null,
    leakedAt: null,
    leakUrl: null,
    leakSource: null,
    dateCreated: now,
    lastUsed: now,
    expiresAt: null,
    scopes: Array.from({ length: 50 }, (_, i) => `s${i}`.padEnd(100, 'x')),
    meta: { k: '€'.repeat(1016) },
    rateLimit: null,
    expiryWarned: null,
    expiryWarnedAt: null,
    removalBy: null,
    removalReason: null,
    removalAt: null,
  })
  const first = (await app.api('GET', '/api/tokens', { token })).body.tokens[0]
  const plainBytes = 300 // a token named "plain", used: ~225
  const room = LIST_BUDGET_BYTES - listedBytes({ ...large(1), ...first }) - plainBytes
  const count = Math.floor(room / listedBytes(large(1000)))
  const items = Array.from({ length: count }, (_, i) => large(1000 + i)).flatMap((record) => [
    AccessToken.item(record),
    AccessTokenName.item({ ...owner, name: record.name, tokenId: record.id, expiresAt: null }),
  ])
  for (let i = 0; i < items.length; i += 25)
    await app.db.send(
      new BatchWriteCommand({
        RequestItems: {
          [app.tableName]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })),
        },
      }),
    )
  // As creating them would have left the user: their count, and the id sequence past them.
  await app.db.send(
    new UpdateCommand({
      TableName: app.tableName,
      Key: keys.user(owner.team, owner.username),
      UpdateExpression: 'SET tokenCount = :count, tokenSeq = :seq',
      ExpressionAttributeValues: { ':count': count + 1, ':seq': 1000 + count },
    }),
  )

  const plain = await app.api('POST', '/api/tokens', { token, body: { name: 'plain' } })
  expect(plain.status).toBe(200)
  const refused = await app.api('POST', '/api/tokens', {
    token,
    body: { name: 'one more', scopes: large(1).scopes, meta: large(1).meta },
  })
  expect(refused.status).toBe(403)
  expect(refused.body).toEqual({
    code: 'quota_exceeded',
    message:
      "This user's tokens would take more than 5 MB to list (GET /api/tokens answers them all at once); delete some first.",
    errors: [],
  })

  let listed: Awaited<ReturnType<typeof app.api>> | undefined
  const calls = await callsDuring(app, async () => {
    listed = await app.api('GET', '/api/tokens', { token })
  })
  expect(listed?.body.tokens).toHaveLength(count + 2)
  // What Lambda would return: within the budget, under its 6 MB.
  const lambdaBytes = Buffer.byteLength(JSON.stringify({ body: JSON.stringify(listed?.body) }))
  expect(lambdaBytes).toBeLessThanOrEqual(LIST_BUDGET_BYTES)
  // 1 Query per 1 MB page of items: the first page (50), then 5 for the rest.
  expect(calls.QueryCommand).toBe(6)
})
