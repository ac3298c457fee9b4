import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { withGrants } from '../../local/iam.js'
import { sweeperTableActions } from '../../shared/routes.js'
import { startTestApp } from '../support/app.js'
import { type EventLog, startEventLog } from '../support/event-log.js'

/**
 * The index migration (issue 14) on DynamoDB Local: a team, a user and personal
 * tokens written in the shape they had before the index (no GSI1 keys), found by the
 * migration as the sweeper runs it (its grants), a few items per run: resumable,
 * idempotent, quiet on the stream, and then seen by the admin view and the sweeper.
 */
let app: Awaited<ReturnType<typeof startTestApp>>
let log: EventLog
let migrate: typeof import('../../shared/domain/index-migration.js').migrateIndexKeys
let sweep: typeof import('../../shared/domain/sweeper.js').sweep
const DAY = 86_400_000

beforeAll(async () => {
  app = await startTestApp('acme')
  ;({ migrateIndexKeys: migrate } = await import('../../shared/domain/index-migration.js'))
  ;({ sweep } = await import('../../shared/domain/sweeper.js'))
  log = await startEventLog(app)
})
afterAll(async () => {
  await log?.stop()
  await app?.close()
})

const asSweeper = <T>(run: () => Promise<T>) => withGrants(sweeperTableActions, run)
const put = (Item: Record<string, unknown>) =>
  app.db.send(new PutCommand({ TableName: app.tableName, Item }))
const pad = (id: number) => String(id).padStart(16, '0')

/** Items exactly as the service wrote them before the index: no GSI1PK, no GSI1SK. */
async function seedOldShape(now: Date) {
  const created = new Date(now.getTime() - 40 * DAY).toISOString()
  await put({ PK: 'TEAM#legacy', SK: 'TEAM', kind: 'Team', name: 'legacy', createdAt: created })
  await put({
    PK: 'TEAM#legacy',
    SK: 'USER#old',
    kind: 'User',
    team: 'legacy',
    username: 'old',
    role: 'member',
    mfaEnabled: false,
    createdAt: created,
    tokenSeq: 12,
  })
  const token = (id: number, expiresAt?: string) => ({
    PK: 'TEAM#legacy#USER#old',
    SK: `PAT#${pad(id)}`,
    kind: 'AccessToken',
    team: 'legacy',
    username: 'old',
    id,
    name: `old ${id}`,
    secretHash: 'x'.repeat(43),
    dateCreated: created,
    ...(expiresAt && { expiresAt }),
  })
  // Ten that never expire, one that expired yesterday, one that expires in 3 days.
  for (let id = 1; id <= 10; id++) await put(token(id))
  await put(token(11, new Date(now.getTime() - DAY).toISOString()))
  await put(token(12, new Date(now.getTime() + 3 * DAY).toISOString()))
}

const events = async () =>
  (await log.events()) as { 'detail-type': string; detail: Record<string, unknown> }[]

it('gives the index keys to teams and tokens written before the index, a bounded run at a time', async () => {
  const now = new Date()
  await seedOldShape(now)
  // The legacy team's admin (written now, so indexed) sees only their own token so far.
  const admin = await app.addUser('legacy', 'lee', 'admin')
  const before = await app.api('GET', '/v1/teams/legacy/tokens', { token: admin })
  expect(before.body.list.map((t: { user: string }) => t.user)).toEqual(['lee'])
  expect((await asSweeper(() => sweep({ now }))).expired).toBe(0) // the team is not even seen

  // Five items read per run: many runs, each carrying on where the last stopped.
  const reports = []
  for (let run = 0; run < 100; run++) {
    const report = await asSweeper(() => migrate(now, 5))
    reports.push(report)
    if (report.done) break
  }
  expect(reports.length).toBeGreaterThan(3)
  expect(reports.every((r) => r.scanned <= 5)).toBe(true)
  expect(reports.at(-1)?.done).toBe(true)
  // 12 tokens and the team, each written once over all runs (the acme items had keys).
  expect(reports.reduce((sum, r) => sum + r.indexed, 0)).toBe(13)
  const { Item: state } = await app.db.send(
    new GetCommand({
      TableName: app.tableName,
      Key: { PK: 'MIGRATION', SK: 'INDEX_KEYS' },
      ConsistentRead: true,
    }),
  )
  // A first pass that indexed, then a whole second pass that found nothing.
  expect(state).toMatchObject({ kind: 'IndexMigration', pass: 2, passIndexed: 0, indexed: 13 })
  expect(state?.finishedAt).toEqual(now.toISOString())

  // Once done, a run is one GetItem and writes nothing.
  expect(await asSweeper(() => migrate(now, 5))).toEqual({ scanned: 0, indexed: 0, done: true })

  const after = await app.api('GET', '/v1/teams/legacy/tokens?count=1000', { token: admin })
  expect(after.body.list).toHaveLength(13)
  // Soonest due first: the expired one, the one 3 days off, then the never-expiring.
  expect(after.body.list.slice(0, 2).map((t: { id: number }) => t.id)).toEqual([11, 12])
  const within = await app.api('GET', '/v1/teams/legacy/tokens?expiring_within_days=7', {
    token: admin,
  })
  expect(within.body.list.map((t: { id: number }) => t.id)).toEqual([12])

  // The sweeper now sees the team: the expired token goes, the other is warned.
  const swept = await asSweeper(() => sweep({ now }))
  expect(swept).toMatchObject({ expired: 1, warned: 1 })
  const { Item: gone } = await app.db.send(
    new GetCommand({
      TableName: app.tableName,
      Key: { PK: 'TEAM#legacy#USER#old', SK: `PAT#${pad(11)}` },
    }),
  )
  expect(gone).toBeUndefined()

  // The migration's writes published nothing: the seeded inserts, then the sweep's two.
  const deadline = Date.now() + 10_000
  let legacy: Awaited<ReturnType<typeof events>> = []
  while (Date.now() < deadline) {
    legacy = (await events()).filter((e) => e.detail.user === 'old')
    if (legacy.length >= 14) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  await new Promise((resolve) => setTimeout(resolve, 300)) // anything late would show now
  legacy = (await events()).filter((e) => e.detail.user === 'old')
  const types = legacy.map((e) => e['detail-type'])
  expect(types.filter((t) => t === 'AccessTokenCreated')).toHaveLength(12)
  expect(types.filter((t) => t !== 'AccessTokenCreated').sort()).toEqual([
    'AccessTokenExpired',
    'AccessTokenExpiringSoon',
  ])
})

it('writes each key once when two runs overlap, and never over a key a newer write set', async () => {
  const now = new Date()
  const { Item: done } = await app.db.send(
    new GetCommand({ TableName: app.tableName, Key: { PK: 'MIGRATION', SK: 'INDEX_KEYS' } }),
  )
  expect(done?.finishedAt).toBeDefined()
  // Start over (as a fresh deployment would) with two more old-shape tokens, one of
  // them given its key meanwhile by a newer write (here: its due time moved on).
  await app.db.send(
    new PutCommand({
      TableName: app.tableName,
      Item: { PK: 'MIGRATION', SK: 'INDEX_KEYS', kind: 'IndexMigration', updatedAt: '-' },
    }),
  )
  const old = (id: number, extra: Record<string, unknown> = {}) =>
    put({
      PK: 'TEAM#legacy#USER#old',
      SK: `PAT#${pad(id)}`,
      kind: 'AccessToken',
      team: 'legacy',
      username: 'old',
      id,
      name: `old ${id}`,
      secretHash: 'x'.repeat(43),
      dateCreated: now.toISOString(),
      ...extra,
    })
  await old(20)
  const newer = { GSI1PK: 'TEAM#legacy#TOKENS', GSI1SK: `2030-01-01T00:00:00.000Z#old#${pad(21)}` }
  await old(21, newer)
  const [a, b] = await Promise.all([asSweeper(() => migrate(now)), asSweeper(() => migrate(now))])
  expect((a?.indexed ?? 0) + (b?.indexed ?? 0)).toBe(1)
  const { Item } = await app.db.send(
    new GetCommand({
      TableName: app.tableName,
      Key: { PK: 'TEAM#legacy#USER#old', SK: `PAT#${pad(21)}` },
    }),
  )
  expect(Item).toMatchObject(newer)
})
