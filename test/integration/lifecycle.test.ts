import {
  DeleteCommand,
  GetCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withGrants } from '../../local/iam.js'
import { sweeperTableActions } from '../../shared/routes.js'
import { startTestApp } from '../support/app.js'
import { type EventLog, startEventLog } from '../support/event-log.js'
import { expectNoFragmentOf } from '../support/secrets.js'

/**
 * Issue 14 part 2 over HTTP on DynamoDB Local: the admin's view of a team's tokens,
 * an admin revoking anyone's token, the sweeper on a controllable clock (its events
 * through the real stream), and the audit trail the stream consumer keeps.
 */
let app: Awaited<ReturnType<typeof startTestApp>>
let log: EventLog
let sweep: typeof import('../../shared/domain/sweeper.js').sweep
const DAY = 86_400_000
/** Every secret this file is shown, for the audit trail's scan. */
const secrets: string[] = []
let admin: string
let bob: string

beforeAll(async () => {
  app = await startTestApp('acme')
  // Modules that read the configuration load after the app has set it.
  ;({ sweep } = await import('../../shared/domain/sweeper.js'))
  log = await startEventLog(app, { audit: true })
  admin = app.admin.token
  bob = await app.addUser('acme', 'bob', 'member')
  secrets.push(admin, bob)
})
afterAll(async () => {
  await log?.stop()
  await app?.close()
})

const mint = async (token: string, name: string, expiresInDays?: number) => {
  const made = await app.api('POST', '/api/tokens', { token, body: { name, expiresInDays } })
  expect(made.status).toBe(200)
  secrets.push(made.body.accessKey)
  return { id: made.body.token.id as number, secret: made.body.accessKey as string }
}

/** The sweeper as the schedule runs it, under its own grants, at a time of the test's choosing. */
const sweepAt = (now: Date) => withGrants(sweeperTableActions, () => sweep({ now }))

type Event = { id: string; 'detail-type': string; time: string; detail: Record<string, unknown> }
const audit = async (team: string, query = '') => {
  const reply = await app.api('GET', `/v1/teams/${team}/audit${query}`, { token: admin })
  expect(reply.status).toBe(200)
  return reply.body.list as Event[]
}
async function auditFor(team: string, match: (e: Event) => boolean, count = 1, token = admin) {
  const deadline = Date.now() + 10_000
  for (;;) {
    const reply = await app.api('GET', `/v1/teams/${team}/audit?count=1000`, { token })
    const found = (reply.body.list as Event[]).filter(match)
    if (found.length >= count || Date.now() > deadline) return found
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
const tokenEvent = (type: string, user: string, id: number) => (e: Event) =>
  e['detail-type'] === type && e.detail.user === user && e.detail.token_id === id

describe('GET /v1/teams/{team}/tokens', () => {
  it('lists every personal token of the team, metadata only, soonest expiring first', async () => {
    const soon = await mint(bob, 'soon', 3)
    const later = await mint(admin, 'later', 60)
    const reply = await app.api('GET', '/v1/teams/acme/tokens', { token: admin })
    expect(reply.status).toBe(200)
    const list = reply.body.list as { user: string; name: string; id: number }[]
    expect(list.slice(0, 2).map((t) => [t.user, t.name])).toEqual([
      ['bob', 'soon'],
      ['admin', 'later'],
    ])
    expect(list.find((t) => t.user === 'bob' && t.id === soon.id)).toEqual({
      id: soon.id,
      user: 'bob',
      name: 'soon',
      scopes: null,
      created: expect.any(String),
      lastUsed: null,
      expires: expect.any(String),
    })
    // Every token of both users, never a secret.
    expect(list.map((t) => `${t.user}/${t.name}`).sort()).toEqual(
      ['admin/initial admin token', 'admin/later', 'bob/first', 'bob/soon'].sort(),
    )
    expectNoFragmentOf(reply.text, [soon.secret, later.secret, admin, bob])
    expect(reply.text).not.toContain('secretHash')
  })

  it('filters by ?user= and ?expiring_within_days=, and pages with Link carrying them', async () => {
    const bobs = await app.api('GET', '/v1/teams/acme/tokens?user=bob', { token: admin })
    expect(bobs.body.list.map((t: { name: string }) => t.name)).toEqual(['first', 'soon'])
    const soon = await app.api('GET', '/v1/teams/acme/tokens?expiring_within_days=7', {
      token: admin,
    })
    expect(soon.body.list.map((t: { name: string }) => t.name)).toEqual(['soon'])
    const both = await app.api('GET', '/v1/teams/acme/tokens?user=admin&expiring_within_days=7', {
      token: admin,
    })
    expect(both.body.list).toEqual([])
    // One at a time, following Link, finds the same tokens as one page.
    const names: string[] = []
    let next: string | undefined = '/v1/teams/acme/tokens?count=1&expiring_within_days=90'
    while (next) {
      const page = await app.api('GET', next, { token: admin })
      expect(page.status).toBe(200)
      names.push(...page.body.list.map((t: { name: string }) => t.name))
      next = page.headers.get('link')?.match(/<([^>]+)>/)?.[1]
      if (next) expect(next).toContain('expiring_within_days=90')
    }
    expect(names).toEqual(['soon', 'later'])
  })

  it('answers 400 naming the parameter for bad input and a cursor of another filter', async () => {
    for (const [query, field] of [
      ['expiring_within_days=0', 'expiring_within_days'],
      ['user=Bob', 'user'],
      ['count=0', 'count'],
      ['offset=garbage', 'offset'],
    ]) {
      const reply = await app.api('GET', `/v1/teams/acme/tokens?${query}`, { token: admin })
      expect(reply.status, query).toBe(400)
      expect(reply.body.errors.map((e: { description: string }) => e.description)).toContain(field)
    }
    const first = await app.api('GET', '/v1/teams/acme/tokens?count=1', { token: admin })
    const offset = new URL(
      first.headers.get('link')?.match(/<([^>]+)>/)?.[1] ?? '',
      'http://x',
    ).searchParams.get('offset')
    const other = await app.api('GET', `/v1/teams/acme/tokens?user=bob&offset=${offset}`, {
      token: admin,
    })
    expect(other.status).toBe(400)
  })

  it('is for admins only: a member gets 403 and sees nothing', async () => {
    const reply = await app.api('GET', '/v1/teams/acme/tokens', { token: bob })
    expect(reply.status).toBe(403)
    expect(reply.body.code).toBe('forbidden_error')
  })
})

describe('DELETE /v1/teams/{team}/users/{user}/tokens/{tokenId}', () => {
  it("revokes any user's token at once, with an AccessTokenDeleted event naming the admin", async () => {
    const victim = await mint(bob, 'revoke me')
    const url = `/v1/teams/acme/users/bob/tokens/${victim.id}`
    expect((await app.api('GET', '/api/tokens', { token: victim.secret })).status).toBe(200)
    const reply = await app.api('DELETE', url, { token: admin })
    expect(reply.status).toBe(204)
    expect((await app.api('GET', '/api/tokens', { token: victim.secret })).status).toBe(401)
    // Its name is free again: the name guard went with it.
    await mint(bob, 'revoke me')
    expect((await app.api('DELETE', url, { token: admin })).status).toBe(404)
    const [event] = await auditFor('acme', tokenEvent('AccessTokenDeleted', 'bob', victim.id))
    expect(event?.detail).toEqual({
      team: 'acme',
      actor: 'admin',
      user: 'bob',
      token_id: victim.id,
    })
  })

  it('answers 404 for a user or token that is not there, 400 for a bad id, 403 to members', async () => {
    expect(
      (await app.api('DELETE', '/v1/teams/acme/users/nobody/tokens/1', { token: admin })).status,
    ).toBe(404)
    expect(
      (await app.api('DELETE', '/v1/teams/acme/users/bob/tokens/999', { token: admin })).status,
    ).toBe(404)
    const bad = await app.api('DELETE', '/v1/teams/acme/users/bob/tokens/0', { token: admin })
    expect(bad.status).toBe(400)
    expect(bad.body.errors[0].description).toBe('tokenId')
    const member = await app.api('DELETE', '/v1/teams/acme/users/admin/tokens/1', { token: bob })
    expect(member.status).toBe(403)
    expect((await app.api('GET', '/api/tokens', { token: admin })).status).toBe(200)
  })
})

describe('the sweeper', () => {
  it('warns 7 days and 1 day before expiry and expires, each once however often it runs', async () => {
    const start = Date.now()
    const token = await mint(bob, 'ten days', 10)
    const match = (type: string) => tokenEvent(type, 'bob', token.id)
    const at = (days: number) => new Date(start + days * DAY)

    expect((await sweepAt(at(3.5))).done).toBe(true)
    const [seven] = await auditFor('acme', match('AccessTokenExpiringSoon'))
    expect(seven?.detail).toMatchObject({ actor: 'sweeper', days_left: 7, token_name: 'ten days' })
    await sweepAt(at(3.5))
    await sweepAt(at(4))
    await sweepAt(at(9.5))
    const warnings = await auditFor('acme', match('AccessTokenExpiringSoon'), 2)
    expect(warnings.map((e) => e.detail.days_left)).toEqual([1, 7]) // newest first
    await sweepAt(at(9.7))
    expect((await app.api('GET', '/api/tokens', { token: token.secret })).status).toBe(200)

    await sweepAt(at(10.5))
    const [expired] = await auditFor('acme', match('AccessTokenExpired'))
    expect(expired?.detail).toMatchObject({ actor: 'expiry', user: 'bob', token_id: token.id })
    await sweepAt(at(10.5))
    const bobs = await app.api('GET', '/v1/teams/acme/tokens?user=bob', { token: admin })
    expect(bobs.body.list.map((t: { id: number }) => t.id)).not.toContain(token.id)
    // Everything the runs did, exactly once each.
    const all = await auditFor(
      'acme',
      (e) => e.detail.token_id === token.id && e.detail.user === 'bob',
      5,
    )
    expect(all.map((e) => e['detail-type']).sort()).toEqual([
      'AccessTokenCreated',
      'AccessTokenExpired',
      'AccessTokenExpiringSoon',
      'AccessTokenExpiringSoon',
    ])
  })

  it("revokes tokens unused for the team policy's inactiveDays; a used one stays", async () => {
    const start = Date.now()
    const ida = await app.addUser('idle', 'ida', 'admin')
    const busy = await mint(ida, 'busy')
    // The team's policy, through its route (issue 14 part 1).
    const policy = await app.api('PUT', '/v1/teams/idle/token_policy', {
      token: ida,
      body: { inactiveDays: 30 },
    })
    expect(policy.status).toBe(200)
    expect((await sweepAt(new Date(start + 20 * DAY))).revoked).toBe(0)
    // Used on day 25 of the sweeper's clock.
    await app.db.send(
      new UpdateCommand({
        TableName: app.tableName,
        Key: { PK: 'TEAM#idle#USER#ida', SK: `PAT#${String(busy.id).padStart(16, '0')}` },
        UpdateExpression: 'SET lastUsed = :at',
        ExpressionAttributeValues: { ':at': new Date(start + 25 * DAY).toISOString() },
      }),
    )
    await sweepAt(new Date(start + 31 * DAY))
    const [revoked] = await auditFor(
      'idle',
      (e) => e['detail-type'] === 'AccessTokenRevokedForInactivity',
      1,
      busy.secret,
    )
    expect(revoked?.detail).toMatchObject({
      actor: 'sweeper',
      user: 'ida',
      token_id: 1,
      last_used: expect.any(String), // used once today, to make the busy token
    })
    expect((await app.api('GET', '/api/tokens', { token: ida })).status).toBe(401)
    expect((await app.api('GET', '/api/tokens', { token: busy.secret })).status).toBe(200)
  })
})

describe('GET /v1/teams/{team}/audit', () => {
  it('keeps a cascade one by one, newest first, filtered by type, actor and since', async () => {
    const before = new Date().toISOString()
    const p = '/v1/teams/acme/projects/doomed'
    await app.api('POST', '/v1/teams/acme/projects', { token: admin, body: { name: 'doomed' } })
    const ids: string[] = []
    for (const description of ['one', 'two']) {
      const made = await app.api('POST', `${p}/server_enrollment_tokens`, {
        token: admin,
        body: { description },
      })
      ids.push(made.body.id)
      secrets.push(made.body.token)
    }
    const enrolled = await app.api('POST', `${p}/servers`, {
      token: secrets[secrets.length - 1],
      body: { hostname: 'h1' },
    })
    secrets.push(enrolled.body.server_token)
    expect((await app.api('DELETE', p, { token: admin })).status).toBe(204)
    const gone = await auditFor(
      'acme',
      (e) => e.detail.project === 'doomed' && /Deleted$/.test(e['detail-type']),
      4,
    )
    expect(gone.map((e) => e['detail-type']).sort()).toEqual([
      'EnrollmentTokenDeleted',
      'EnrollmentTokenDeleted',
      'ProjectDeleted',
      'ServerDeleted',
    ])
    expect(
      gone
        .map((e) => e.detail.enrollment_token_id)
        .filter(Boolean)
        .sort(),
    ).toEqual(ids.sort())

    const trail = await audit('acme', `?since=${before}`)
    const times = trail.map((e) => e.time)
    expect(times).toEqual([...times].sort().reverse())
    expect(trail.every((e) => e.time >= before)).toBe(true)
    const created = await audit('acme', `?type=ServerEnrolled&since=${before}`)
    expect(created.map((e) => e.detail.hostname)).toEqual(['h1'])
    const byAdmin = await audit('acme', '?actor=admin&type=ProjectCreated')
    expect(byAdmin.map((e) => e.detail.project)).toContain('doomed')
    expect((await audit('acme', '?actor=nobody')).length).toBe(0)
  })

  it('pages newest first with Link, keeping its filters', async () => {
    const all = await audit('acme', '?count=1000')
    const seen: string[] = []
    let next: string | undefined = '/v1/teams/acme/audit?count=2'
    while (next) {
      const page = await app.api('GET', next, { token: admin })
      seen.push(...page.body.list.map((e: Event) => e.id))
      next = page.headers.get('link')?.match(/<([^>]+)>/)?.[1]
    }
    expect(seen.slice(0, all.length)).toEqual(all.map((e) => e.id).slice(0, seen.length))
    expect(new Set(seen).size).toBe(seen.length)
  })

  it('answers 400 naming the parameter, 403 to members', async () => {
    for (const [query, field] of [
      ['since=yesterday', 'since'],
      ['since=2026-02-30T00:00:00Z', 'since'],
      ['type=token deleted', 'type'],
      ['count=1001', 'count'],
    ]) {
      const reply = await app.api('GET', `/v1/teams/acme/audit?${query}`, { token: admin })
      expect(reply.status, query).toBe(400)
      expect(reply.body.errors.map((e: { description: string }) => e.description)).toContain(field)
    }
    expect((await app.api('GET', '/v1/teams/acme/audit', { token: bob })).status).toBe(403)
  })

  it('holds no secret and no hash: no 8 characters of any', async () => {
    const { Items = [] } = await app.db.send(new ScanCommand({ TableName: app.tableName }))
    const hashes = Items.flatMap((item) =>
      ['secretHash', 'sealed', 'passwordHash']
        .map((field) => item[field])
        .filter((value): value is string => typeof value === 'string')
        .map((value) =>
          value
            .replace(/^v1\.\w+\./, '')
            .split('$')
            .slice(-2)
            .join('$'),
        ),
    )
    const trail = Items.filter((item) => item.kind === 'AuditRecord' || item.kind === 'AuditGuard')
    expect(trail.length).toBeGreaterThan(20)
    expect(hashes.length).toBeGreaterThan(5)
    expectNoFragmentOf(JSON.stringify(trail), [...secrets, ...hashes])
  })
})

describe("the quota's count on the user item", () => {
  const countOf = async (team: string, user: string) => {
    const { Item } = await app.db.send(
      new GetCommand({ TableName: app.tableName, Key: { PK: `TEAM#${team}`, SK: `USER#${user}` } }),
    )
    return Item?.tokenCount as number | undefined
  }
  const liveTokens = async (team: string, user: string) => {
    const { Items = [] } = await app.db.send(
      new QueryCommand({
        TableName: app.tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :pat)',
        ExpressionAttributeValues: { ':pk': `TEAM#${team}#USER#${user}`, ':pat': 'PAT#0' },
        ConsistentRead: true,
      }),
    )
    return Items.length
  }

  it('is lowered by admin deletes and the sweeper, exactly, while creates race them', async () => {
    const start = Date.now()
    const quin = await app.addUser('quota', 'quin', 'admin') // 1 token, never expiring
    const policy = await app.api('PUT', '/v1/teams/quota/token_policy', {
      token: quin,
      body: { maxTokensPerUser: 20 },
    })
    expect(policy.status).toBe(200)
    const shortLived = [
      await mint(quin, 's1', 1),
      await mint(quin, 's2', 1),
      await mint(quin, 's3', 1),
    ]
    const kept = [await mint(quin, 'k1'), await mint(quin, 'k2')]
    expect(await countOf('quota', 'quin')).toBe(6)
    // At once: an admin revokes the two kept tokens, the sweeper (two days on) removes
    // the three expired ones, and eight creates raise the count on the same item. Room
    // for all eight, so no create recounts: the count must be exact on its own.
    const [deletes, swept, creates] = await Promise.all([
      Promise.all(
        kept.map((token) =>
          app.api('DELETE', `/v1/teams/quota/users/quin/tokens/${token.id}`, { token: quin }),
        ),
      ),
      sweepAt(new Date(start + 2 * DAY)),
      Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          app.api('POST', '/api/tokens', {
            token: quin,
            body: { name: `c${i}`, expiresInDays: 30 },
          }),
        ),
      ),
    ])
    expect(deletes.map((reply) => reply.status)).toEqual([204, 204])
    expect(swept.expired).toBeGreaterThanOrEqual(3)
    expect(creates.map((reply) => reply.status)).toEqual(Array(8).fill(200))
    for (const reply of creates) secrets.push(reply.body.accessKey)
    for (const token of shortLived)
      expect((await app.api('GET', '/api/tokens', { token: token.secret })).status).toBe(401)
    expect(await liveTokens('quota', 'quin')).toBe(1 + 8)
    expect(await countOf('quota', 'quin')).toBe(1 + 8)
    // And the bytes kept beside the count: exactly what the listing answers, in Lambda's
    // encoding (each token's view JSON-encoded twice, with a comma).
    const listed = await app.api('GET', '/api/tokens', { token: quin })
    const bytes = (listed.body.tokens as { lastUsed: string | null; dateCreated: string }[])
      .map((view) => ({ ...view, lastUsed: view.lastUsed ?? view.dateCreated }))
      .reduce((sum, view) => sum + Buffer.byteLength(JSON.stringify(JSON.stringify(view))) - 1, 0)
    const { Item } = await app.db.send(
      new GetCommand({ TableName: app.tableName, Key: { PK: 'TEAM#quota', SK: 'USER#quin' } }),
    )
    expect(Item?.tokenBytes).toBe(bytes)
  })

  it('never recreates a user deleted while an admin revokes their token', async () => {
    const gone = await app.addUser('quota', 'gone', 'member') // made with a token
    const token = await mint(gone, 'left behind')
    // The user's item goes first, as a user delete begins; the token is still there.
    await app.db.send(
      new DeleteCommand({ TableName: app.tableName, Key: { PK: 'TEAM#quota', SK: 'USER#gone' } }),
    )
    const admin = await app.addUser('quota', 'quade', 'admin')
    const reply = await app.api('DELETE', `/v1/teams/quota/users/gone/tokens/${token.id}`, {
      token: admin,
    })
    expect(reply.status).toBe(204)
    expect(await liveTokens('quota', 'gone')).toBe(1) // the one it was made with
    const { Item } = await app.db.send(
      new GetCommand({ TableName: app.tableName, Key: { PK: 'TEAM#quota', SK: 'USER#gone' } }),
    )
    expect(Item).toBeUndefined()
  })
})
