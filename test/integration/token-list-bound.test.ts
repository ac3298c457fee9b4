import { BatchWriteCommand, DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { seedAccessTokens } from '../../bench/seed.js'
import { withGrants } from '../../local/iam.js'
import type { AccessTokenRecord } from '../../shared/data/access-tokens.js'
import { AccessToken, AccessTokenName } from '../../shared/data/entities.js'
import { keys } from '../../shared/data/keys.js'
import { LIST_BUDGET_BYTES, listedBytes } from '../../shared/domain/access-tokens.js'
import { sweeperTableActions } from '../../shared/routes.js'
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

const now = new Date().toISOString()
/**
 * A token as large as the API makes them: 50 scopes of 100 characters, 1 KB of meta in
 * 3-byte characters.
 */
const large = (owner: { team: string; username: string }, id: number): AccessTokenRecord => ({
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

/** Writes token items (and their name guards) as creates would have, count item aside. */
async function seed(records: AccessTokenRecord[]) {
  const items = records.flatMap((record) => [
    AccessToken.item(record),
    AccessTokenName.item({ ...record, tokenId: record.id, expiresAt: null }),
  ])
  for (let i = 0; i < items.length; i += 25)
    await app.db.send(
      new BatchWriteCommand({
        RequestItems: {
          [app.tableName]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })),
        },
      }),
    )
}

const userKey = (username: string) => keys.user('acme', username)
const countItem = async (username: string) =>
  (
    await app.db.send(
      new GetCommand({ TableName: app.tableName, Key: userKey(username), ConsistentRead: true }),
    )
  ).Item ?? {}

/** What a listed token takes in GET /api/tokens on Lambda: its view encoded twice, a comma. */
const viewBytes = (view: { lastUsed: string | null; dateCreated: string }) =>
  Buffer.byteLength(
    JSON.stringify(JSON.stringify({ ...view, lastUsed: view.lastUsed ?? view.dateCreated })),
  ) - 1
/** The bytes of every token the user's listing answers, as its own token sees them. */
const listedTotal = async (token: string) => {
  const reply = await app.api('GET', '/api/tokens', { token })
  expect(reply.status).toBe(200)
  const tokens = reply.body.tokens as { lastUsed: string | null; dateCreated: string }[]
  return tokens.reduce((sum, view) => sum + viewBytes(view), 0)
}

it('keeps a listing within 5 MB: a create that would pass it is 403 quota_exceeded', async () => {
  const owner = { team: 'acme', username: 'packrat' }
  const token = await app.addUser(owner.team, owner.username)
  // As many of the largest tokens as leave room for one plain token, not another large one.
  const first = (await app.api('GET', '/api/tokens', { token })).body.tokens[0]
  const plainBytes = 300 // a token named "plain", used: ~225
  const firstBytes = listedBytes({ ...large(owner, 1), ...first })
  const room = LIST_BUDGET_BYTES - firstBytes - plainBytes
  const count = Math.floor(room / listedBytes(large(owner, 1000)))
  const records = Array.from({ length: count }, (_, i) => large(owner, 1000 + i))
  await seed(records)
  // As creating them would have left the user: their count and bytes, the id sequence past them.
  const bytes = records.reduce((sum, record) => sum + listedBytes(record), firstBytes)
  await app.db.send(
    new UpdateCommand({
      TableName: app.tableName,
      Key: userKey(owner.username),
      UpdateExpression: 'SET tokenCount = :count, tokenBytes = :bytes, tokenSeq = :seq',
      ExpressionAttributeValues: { ':count': count + 1, ':bytes': bytes, ':seq': 1000 + count },
    }),
  )

  // Past 568 tokens, a create that fits is the one transaction still: no token is read.
  let plain: Awaited<ReturnType<typeof app.api>> | undefined
  const created = await callsDuring(app, async () => {
    plain = await app.api('POST', '/api/tokens', { token, body: { name: 'plain' } })
  })
  expect(plain?.status).toBe(200)
  expect(created.TransactWriteItemsCommand).toBe(1)
  expect(created.QueryCommand).toBeUndefined()
  let refused: Awaited<ReturnType<typeof app.api>> | undefined
  const refusing = await callsDuring(app, async () => {
    refused = await app.api('POST', '/api/tokens', {
      token,
      body: { name: 'one more', scopes: large(owner, 1).scopes, meta: large(owner, 1).meta },
    })
  })
  expect(refused?.status).toBe(403)
  expect(refused?.body).toEqual({
    code: 'quota_exceeded',
    message:
      "This user's tokens would take more than 5 MB to list (GET /api/tokens answers them all at once); delete some first.",
    errors: [],
  })
  // Refused by the count item, the tokens are measured once, 1 Query per 1 MB page of
  // them (nothing expired: no write, no second transaction).
  expect(refusing.TransactWriteItemsCommand).toBe(1)
  expect(refusing.QueryCommand).toBe(5)
  expect(refusing.UpdateItemCommand).toBe(1) // the id taken

  let listed: Awaited<ReturnType<typeof app.api>> | undefined
  const calls = await callsDuring(app, async () => {
    listed = await app.api('GET', '/api/tokens', { token })
  })
  expect(listed?.body.tokens).toHaveLength(count + 2)
  // What Lambda would return: within the budget, under its 6 MB; the total kept is its size.
  const lambdaBytes = Buffer.byteLength(JSON.stringify({ body: JSON.stringify(listed?.body) }))
  expect(lambdaBytes).toBeLessThanOrEqual(LIST_BUDGET_BYTES)
  expect((await countItem(owner.username)).tokenBytes).toBe(await listedTotal(token))
  // 1 Query per 1 MB page of items: the first page (50), then 5 for the rest.
  expect(calls.QueryCommand).toBe(6)

  // Tokens expiry's TTL deleted, our code never running: the total is over (never under),
  // and the create it would refuse measures again, finds the room, and is written.
  await app.db.send(
    new DeleteCommand({ TableName: app.tableName, Key: keys.accessToken('acme', 'packrat', 1000) }),
  )
  const again = await app.api('POST', '/api/tokens', {
    token,
    body: { name: 'one more', scopes: large(owner, 1).scopes, meta: large(owner, 1).meta },
  })
  expect(again.status).toBe(200)
  expect((await countItem(owner.username)).tokenBytes).toBe(await listedTotal(token))
  expect((await countItem(owner.username)).tokenCount).toBe(count + 2)
})

describe("the bytes kept on the user's count item", () => {
  let sweep: typeof import('../../shared/domain/sweeper.js').sweep
  beforeAll(async () => {
    ;({ sweep } = await import('../../shared/domain/sweeper.js'))
  })
  const mint = async (token: string, body: Record<string, unknown>) => {
    const made = await app.api('POST', '/api/tokens', { token, body })
    expect(made.status).toBe(200)
    return { id: made.body.token.id as number, secret: made.body.accessKey as string }
  }

  it('are the listing exactly through creates, use, rotation and every removal, and 0 after a delete-all', async () => {
    const token = await app.addUser('acme', 'tally')
    const kept = async () =>
      expect((await countItem('tally')).tokenBytes).toBe(await listedTotal(token))
    const made = [
      await mint(token, { name: 'plain' }),
      await mint(token, {
        name: 'ünïcode ☃',
        meta: { team: 'платформа' },
        scopes: ['tokens:read'],
      }),
      await mint(token, { name: 'short-lived', expiresInDays: 1 }),
      await mint(token, { name: 'limited', rateLimit: { limit: 5, windowSeconds: 60 } }),
      await mint(token, { name: 'doomed' }),
    ]
    await kept()
    // Use (lastUsed set) and rotation change nothing listed in size.
    await app.api('GET', '/api/tokens', { token: made[1]?.secret ?? '' })
    const rotated = await app.api('POST', `/api/tokens/${made[0]?.id}/rotate`, { token })
    expect(rotated.status).toBe(200)
    await kept()
    // The owner's delete, an admin's, and the sweeper's expiry.
    expect((await app.api('DELETE', `/api/tokens/${made[4]?.id}`, { token })).status).toBe(204)
    await kept()
    const removed = await app.api('DELETE', `/v1/teams/acme/users/tally/tokens/${made[3]?.id}`, {
      token: app.admin.token,
    })
    expect(removed.status).toBe(204)
    await kept()
    const swept = await withGrants(sweeperTableActions, () =>
      sweep({ now: new Date(Date.now() + 2 * 86_400_000) }),
    )
    expect(swept.expired).toBeGreaterThanOrEqual(1)
    await kept()
    expect((await app.api('DELETE', '/api/tokens/delete-all', { token })).status).toBe(204)
    expect(await countItem('tally')).toMatchObject({ tokenCount: 0, tokenBytes: 0 })
  })

  it('a user from before them: small, creates go on unmeasured; past 568, measured once, then kept', async () => {
    const token = await app.addUser('acme', 'elder')
    const forget = () =>
      app.db.send(
        new UpdateCommand({
          TableName: app.tableName,
          Key: userKey('elder'),
          UpdateExpression: 'REMOVE tokenBytes',
        }),
      )
    await forget()
    // Under 568 tokens no total can pass the budget: a create is its one transaction, and
    // the total, unknown, stays far past any budget (never read as a small one).
    const small = await mint(token, { name: 'small' })
    expect((await countItem('elder')).tokenBytes).toBeGreaterThanOrEqual(2 ** 50)
    expect((await app.api('DELETE', `/api/tokens/${small.id}`, { token })).status).toBe(204)
    expect((await countItem('elder')).tokenBytes).toBeGreaterThanOrEqual(2 ** 50)

    const owner = { team: 'acme', username: 'elder' }
    const records = Array.from({ length: 600 }, (_, i) => ({
      ...large(owner, 2000 + i),
      scopes: null,
      meta: { i },
    }))
    await seed(records)
    await app.db.send(
      new UpdateCommand({
        TableName: app.tableName,
        Key: userKey('elder'),
        UpdateExpression: 'SET tokenCount = :count, tokenSeq = :seq',
        ExpressionAttributeValues: { ':count': 601, ':seq': 2600 },
      }),
    )
    await forget()
    // The first create past 568: refused by the count item, measured, written.
    let first: Awaited<ReturnType<typeof app.api>> | undefined
    const measuring = await callsDuring(app, async () => {
      first = await app.api('POST', '/api/tokens', { token, body: { name: 'first past' } })
    })
    expect(first?.status).toBe(200)
    expect(measuring.TransactWriteItemsCommand).toBe(2)
    expect(measuring.QueryCommand).toBeGreaterThanOrEqual(1)
    const measured = await countItem('elder')
    expect(measured.tokenCount).toBe(602)
    expect(measured.tokenBytes).toBe(await listedTotal(token))
    // From then on a create is the one transaction, and the total stays exact.
    const next = await callsDuring(app, async () => {
      expect(
        (await app.api('POST', '/api/tokens', { token, body: { name: 'second' } })).status,
      ).toBe(200)
    })
    expect(next.TransactWriteItemsCommand).toBe(1)
    expect(next.QueryCommand).toBeUndefined()
    expect((await countItem('elder')).tokenBytes).toBe(await listedTotal(token))
  })
})
