import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256 } from '../../shared/tokens/crypto.js'
import { startTestApp } from '../support/app.js'
import { type EventLog, startEventLog } from '../support/event-log.js'
import { expectNoFragmentOf } from '../support/secrets.js'

/**
 * Rotation with a grace period (personal, enrollment and server tokens) and the team
 * token policy, over HTTP on DynamoDB Local; grace periods with a controllable clock
 * (the domain functions called with a later `now`, on the same table).
 */
let app: Awaited<ReturnType<typeof startTestApp>>
let log: EventLog
const secrets: string[] = []

beforeAll(async () => {
  app = await startTestApp('acme')
  log = await startEventLog(app)
})
afterAll(async () => {
  await log?.stop()
  await app?.close()
})

const events = () => log.events()

async function eventually<T>(read: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const found = await read()
    if (found !== undefined) return found
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error('not seen in time')
}

const DAY = 86_400_000

describe('POST /api/tokens/{tokenId}/rotate', () => {
  const make = async (token: string, body: Record<string, unknown>) => {
    const reply = await app.api('POST', '/api/tokens', { token, body })
    expect(reply.status).toBe(200)
    secrets.push(reply.body.accessKey)
    return reply.body as { accessKey: string; token: { id: number } }
  }
  const rotate = (token: string, id: number, body?: unknown) =>
    app.api('POST', `/api/tokens/${id}/rotate`, { token, body })
  const works = async (token: string) =>
    (await app.api('GET', '/api/tokens', { token })).status === 200

  it('answers 200 like create: a new secret once, everything else kept; the old one stops at once', async () => {
    const made = await make(app.admin.token, {
      name: 'rotating',
      expiresInDays: 30,
      scopes: ['tokens:read', 'orders:read'],
      meta: { owner: 'ci' },
      rateLimit: { limit: 100, windowSeconds: 60 },
    })
    const reply = await rotate(app.admin.token, made.token.id)
    expect(reply.status).toBe(200)
    expect(reply.headers.get('cache-control')).toBe('no-store')
    secrets.push(reply.body.accessKey)
    expect(reply.body.accessKey).toMatch(/^lk_[0-9A-Za-z]+_[0-9A-Za-z]{49}$/)
    expect(reply.body.accessKey).not.toBe(made.accessKey)
    expect(reply.body.token).toEqual(made.token)
    expect(await works(made.accessKey)).toBe(false)
    expect(await works(reply.body.accessKey)).toBe(true)
  })

  it('keeps the old secret working through the grace period, then never (controllable clock)', async () => {
    const made = await make(app.admin.token, { name: 'graceful' })
    const reply = await rotate(app.admin.token, made.token.id, { expireOldInSeconds: 3600 })
    expect(reply.status).toBe(200)
    secrets.push(reply.body.accessKey)
    expect(await works(made.accessKey)).toBe(true)
    expect(await works(reply.body.accessKey)).toBe(true)
    const { findAccessToken } = await import('../../shared/domain/access-tokens.js')
    const now = Date.now()
    const at = (ms: number) => new Date(now + ms)
    expect(await findAccessToken(made.accessKey, at(3_500_000))).toMatchObject({
      id: made.token.id,
    })
    expect(await findAccessToken(made.accessKey, at(3_601_000))).toBe('NOT_FOUND')
    expect(await findAccessToken(reply.body.accessKey, at(3_601_000))).toMatchObject({
      id: made.token.id,
    })
    // the item holds hashes only
    const { Item } = await app.db.send(
      new GetCommand({
        TableName: app.tableName,
        Key: { PK: 'TEAM#acme#USER#admin', SK: `PAT#${String(made.token.id).padStart(16, '0')}` },
      }),
    )
    expect(Item?.previousHash).toBe(sha256(made.accessKey.split('_')[2]?.slice(0, 43) ?? ''))
    expectNoFragmentOf(JSON.stringify(Item), [
      made.accessKey.slice(-49),
      reply.body.accessKey.slice(-49),
    ])
  })

  it('ends an earlier grace period at once when rotated again', async () => {
    const made = await make(app.admin.token, { name: 'twice' })
    const first = await rotate(app.admin.token, made.token.id, { expireOldInSeconds: 86_400 })
    const second = await rotate(app.admin.token, made.token.id, { expireOldInSeconds: 86_400 })
    secrets.push(first.body.accessKey, second.body.accessKey)
    expect(await works(made.accessKey)).toBe(false)
    expect(await works(first.body.accessKey)).toBe(true)
    expect(await works(second.body.accessKey)).toBe(true)
    const third = await rotate(app.admin.token, made.token.id)
    secrets.push(third.body.accessKey)
    expect(await works(second.body.accessKey)).toBe(false)
    expect(await works(first.body.accessKey)).toBe(false)
    expect(await works(third.body.accessKey)).toBe(true)
  })

  it("answers 404 for another user's, an unknown or an expired token, and 400 for a bad grace", async () => {
    const other = await app.addUser('acme', 'olga')
    secrets.push(other)
    const admins = await app.api('GET', '/api/tokens', { token: app.admin.token })
    const adminsOnly = Math.max(...admins.body.tokens.map((t: { id: number }) => t.id))
    for (const id of [adminsOnly, 1000]) {
      const reply = await rotate(other, id)
      expect(reply.status).toBe(404)
      expect(reply.body).toEqual({
        code: 'resource_does_not_exist',
        message: 'The token does not exist.',
        errors: [],
      })
    }
    const { rotateOwnAccessToken } = await import('../../shared/domain/access-tokens.js')
    const expiring = await make(other, { name: 'short', expiresInDays: 1 })
    await expect(
      rotateOwnAccessToken(
        { team: 'acme', username: 'olga' },
        expiring.token.id,
        0,
        new Date(Date.now() + 2 * DAY),
      ),
    ).rejects.toMatchObject({ code: 'resource_does_not_exist' })
    for (const body of [{ expireOldInSeconds: -1 }, { expireOldInSeconds: 2_592_001 }, { x: 1 }]) {
      const reply = await rotate(other, expiring.token.id, body)
      expect(reply.status).toBe(400)
      expect(reply.body.code).toBe('invalid_request')
    }
    expect(await works(expiring.accessKey)).toBe(true) // nothing rotated
  })
})

describe('rotating enrollment and server tokens', () => {
  const API = '/v1/teams/acme/projects/rot'
  let enrollment: { id: string; token: string }

  beforeAll(async () => {
    await app.api('POST', '/v1/teams/acme/projects', {
      token: app.admin.token,
      body: { name: 'rot' },
    })
    const made = await app.api('POST', `${API}/server_enrollment_tokens`, {
      token: app.admin.token,
      body: { description: 'fleet' },
    })
    enrollment = made.body
  })
  const enroll = (token: string, hostname: string) =>
    app.api('POST', `${API}/servers`, { token, body: { hostname } })

  it('gives an enrollment token a new value (admins); the old one enrolls until its grace ends', async () => {
    const reply = await app.api('POST', `${API}/server_enrollment_tokens/${enrollment.id}/rotate`, {
      token: app.admin.token,
      body: { expireOldInSeconds: 600 },
    })
    expect(reply.status).toBe(200)
    expect(reply.body).toMatchObject({ id: enrollment.id, description: 'fleet', uses: 0 })
    expect(reply.body.token).not.toBe(enrollment.token)
    const fetched = await app.api('GET', `${API}/server_enrollment_tokens/${enrollment.id}`, {
      token: app.admin.token,
    })
    expect(fetched.body.token).toBe(reply.body.token) // sealed anew
    expect((await enroll(enrollment.token, 'old-1')).status).toBe(201)
    expect((await enroll(reply.body.token, 'new-1')).status).toBe(201)
    // After the grace: the enrollment's transaction refuses the old value (its clock moved on).
    const { claimEnrollmentToken, enroll: enrollAt } = await import(
      '../../shared/domain/servers.js'
    )
    const claim = claimEnrollmentToken(enrollment.token, { team: 'acme', project: 'rot' })
    await expect(
      enrollAt(claim, { hostname: 'old-late' }, new Date(Date.now() + 601_000)),
    ).rejects.toMatchObject({ code: 'authentication_error' })
    // Without a grace: the previous value stops at once.
    const again = await app.api('POST', `${API}/server_enrollment_tokens/${enrollment.id}/rotate`, {
      token: app.admin.token,
    })
    expect((await enroll(reply.body.token, 'new-2')).status).toBe(401)
    expect((await enroll(again.body.token, 'newest')).status).toBe(201)
    enrollment = again.body
  })

  it('answers 404 for an unknown enrollment token and 400 for a bad body', async () => {
    const unknown = '0190d1c2-0000-7000-8000-000000000000'
    const reply = await app.api('POST', `${API}/server_enrollment_tokens/${unknown}/rotate`, {
      token: app.admin.token,
    })
    expect(reply.status).toBe(404)
    const bad = await app.api('POST', `${API}/server_enrollment_tokens/${enrollment.id}/rotate`, {
      token: app.admin.token,
      body: { expireOldInSeconds: 'soon' },
    })
    expect(bad.status).toBe(400)
  })

  it('lets a server replace its own token; the old one beats until its grace ends, then 401', async () => {
    const enrolled = await enroll(enrollment.token, 'web-01')
    const { id } = enrolled.body.server
    const old = enrolled.body.server_token as string
    const beat = (token: string) => app.api('POST', `${API}/servers/${id}/heartbeat`, { token })
    const rotate = (token: string, body?: unknown) =>
      app.api('POST', `${API}/servers/${id}/rotate_token`, { token, body })
    const reply = await rotate(old, { expireOldInSeconds: 300 })
    expect(reply.status).toBe(200)
    expect(reply.headers.get('cache-control')).toBe('no-store')
    const fresh = reply.body.server_token as string
    secrets.push(old, fresh)
    expect(fresh).toMatch(/^lks_/)
    expect((await beat(old)).status).toBe(204)
    expect((await beat(fresh)).status).toBe(204)
    // Only the current token may rotate (an old one would hand its grace on).
    expect((await rotate(old)).status).toBe(401)
    const { heartbeat, claimServer } = await import('../../shared/domain/servers.js')
    const later = new Date(Date.now() + 301_000)
    const claim = (token: string) =>
      claimServer(token, { team: 'acme', project: 'rot', serverId: id })
    await expect(heartbeat(claim(old), later)).rejects.toMatchObject({
      code: 'authentication_error',
    })
    await heartbeat(claim(fresh), later)
    expect((await rotate(fresh, { expireOldInSeconds: -5 })).status).toBe(400)
    // A deleted server's genuine token is told it was revoked.
    await app.api('DELETE', `${API}/servers/${id}`, { token: app.admin.token })
    const revoked = await rotate(fresh)
    expect(revoked.status).toBe(401)
    expect(revoked.body.code).toBe('server_authorization_revoked')
  })
})

describe('team token policy', () => {
  const POLICY = '/v1/teams/policy/token_policy'
  let admin: string
  let member: string

  beforeAll(async () => {
    admin = await app.addUser('policy', 'root', 'admin')
    member = await app.addUser('policy', 'mia', 'member')
    secrets.push(admin, member)
  })
  const create = (token: string, body: unknown) => app.api('POST', '/api/tokens', { token, body })

  it('answers the defaults until an admin sets one, to members too', async () => {
    const reply = await app.api('GET', POLICY, { token: member })
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual({
      maxLifetimeDays: null,
      maxTokensPerUser: 1000,
      allowedScopes: null,
      inactiveDays: null,
    })
  })

  it('is replaced whole by an admin (PUT), fields left out taking their defaults; bad values are 400', async () => {
    const body = {
      maxLifetimeDays: 30,
      allowedScopes: ['tokens:read', 'orders:read'],
      inactiveDays: 90,
    }
    const reply = await app.api('PUT', POLICY, { token: admin, body })
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual({ ...body, maxTokensPerUser: 1000 })
    expect((await app.api('GET', POLICY, { token: member })).body).toEqual(reply.body)
    for (const bad of [
      { maxLifetimeDays: 0 },
      { maxTokensPerUser: 1001 },
      { allowedScopes: ['Not A Scope'] },
      { inactiveDays: 'often' },
      { extra: true },
    ]) {
      const refused = await app.api('PUT', POLICY, { token: admin, body: bad })
      expect(refused.status).toBe(400)
      expect(refused.body.code).toBe('invalid_request')
    }
    const { getTokenPolicy } = await import('../../shared/data/token-policies.js')
    expect((await getTokenPolicy('policy')).inactiveDays).toBe(90) // the sweeper's reader
  })

  it('refuses a personal token without an expiry, or a longer one, with 400 naming the policy', async () => {
    for (const body of [{ name: 'forever' }, { name: 'long', expiresInDays: 31 }]) {
      const reply = await create(admin, body)
      expect(reply.status).toBe(400)
      expect(reply.body).toEqual({
        code: 'invalid_request',
        message:
          "The team's token policy requires personal tokens to expire within 30 days (maxLifetimeDays).",
        errors: [
          {
            description: 'expiresInDays',
            message:
              "outside the team's token policy (personal tokens to expire within 30 days (maxLifetimeDays))",
          },
        ],
      })
    }
    const ok = await create(admin, { name: 'month', expiresInDays: 30 })
    expect(ok.status).toBe(200)
  })

  it("gives a Server Density grant, which can't ask for an expiry, the longest the policy allows", async () => {
    const reply = await app.api('POST', '/tokens', { token: member, body: { tokenName: 'sd' } })
    expect(reply.status).toBe(200)
    const listed = await app.api('GET', '/api/tokens', { token: member })
    const sd = listed.body.tokens.find((t: { name: string }) => t.name === 'sd')
    const days = (Date.parse(sd.expiresAt) - Date.parse(sd.dateCreated)) / DAY
    expect(days).toBe(30)
  })

  it("holds members' tokens to allowedScopes (an unscoped request gets exactly them), not admins'", async () => {
    const unscoped = await create(member, { name: 'm1', expiresInDays: 1 })
    expect(unscoped.status).toBe(200)
    expect(unscoped.body.token.scopes).toEqual(['tokens:read', 'orders:read'])
    const outside = await create(member, { name: 'm2', expiresInDays: 1, scopes: ['orders:write'] })
    expect(outside.status).toBe(400)
    expect(outside.body.message).toBe(
      "The team's token policy requires members' tokens to hold only tokens:read, orders:read (allowedScopes), not orders:write.",
    )
    const adminToken = await create(admin, {
      name: 'a1',
      expiresInDays: 1,
      scopes: ['orders:write'],
    })
    expect(adminToken.status).toBe(200)
  })

  it('holds maxTokensPerUser under 20 concurrent creates, answering 403 quota_exceeded past it', async () => {
    await app.api('PUT', POLICY, { token: admin, body: { maxTokensPerUser: 5 } })
    const quota = await app.addUser('policy', 'quinn', 'admin') // holds 1 token
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => create(quota, { name: `q${i}` })),
    )
    const statuses = replies.map((reply) => reply.status)
    expect(statuses.filter((status) => status === 200)).toHaveLength(4)
    expect(statuses.filter((status) => status === 403)).toHaveLength(16)
    expect(replies.find((reply) => reply.status === 403)?.body).toEqual({
      code: 'quota_exceeded',
      message:
        "This user holds 5 personal tokens, the most the team's token policy allows (maxTokensPerUser); delete one first.",
      errors: [],
    })
    const listed = await app.api('GET', '/api/tokens', { token: quota })
    expect(listed.body.tokens).toHaveLength(5)
    // Deleting one makes room for exactly one.
    const last = listed.body.tokens[4].id
    expect((await app.api('DELETE', `/api/tokens/${last}`, { token: quota })).status).toBe(204)
    expect((await create(quota, { name: 'again' })).status).toBe(200)
    expect((await create(quota, { name: 'again 2' })).status).toBe(403)
    // The grant is held to it too.
    const grant = await app.api('POST', '/tokens', { token: quota, body: { tokenName: 'sd' } })
    expect(grant.status).toBe(403)
    expect(grant.body.code).toBe('quota_exceeded')
  })

  it('recounts once when expiry (TTL) removed tokens behind the count, on both create routes', async () => {
    const user = await app.addUser('policy', 'tess', 'admin')
    for (const name of ['t1', 't2', 't3', 't4'])
      expect((await create(user, { name })).status).toBe(200)
    // TTL deletes items without the count: take some away as DynamoDB's expiry would.
    const expire = async (id: number) =>
      app.db.send(
        new DeleteCommand({
          TableName: app.tableName,
          Key: { PK: 'TEAM#policy#USER#tess', SK: `PAT#${String(id).padStart(16, '0')}` },
        }),
      )
    const listed = await app.api('GET', '/api/tokens', { token: user })
    const ids: number[] = listed.body.tokens.map((t: { id: number }) => t.id)
    for (const id of ids.slice(3)) await expire(id)
    expect((await create(user, { name: 'after expiry' })).status).toBe(200)
    expect((await create(user, { name: 'fill' })).status).toBe(200)
    expect((await create(user, { name: 'one too many' })).status).toBe(403)
    await expire(ids[2] ?? 0)
    const grant = await app.api('POST', '/tokens', { token: user, body: { tokenName: 'sd after' } })
    expect(grant.status).toBe(200)
    const { Item } = await app.db.send(
      new GetCommand({ TableName: app.tableName, Key: { PK: 'TEAM#policy', SK: 'USER#tess' } }),
    )
    expect(Item?.tokenCount).toBe(5)
  })

  it('counts the tokens of a user made before the count existed before letting them create more', async () => {
    const user = await app.addUser('policy', 'olga', 'admin') // holds 1 token
    for (const name of ['o1', 'o2', 'o3', 'o4'])
      expect((await create(user, { name })).status).toBe(200)
    const key = { PK: 'TEAM#policy', SK: 'USER#olga' }
    // As written before the quota: no count at all, with 5 tokens held.
    await app.db.send(
      new UpdateCommand({
        TableName: app.tableName,
        Key: key,
        UpdateExpression: 'REMOVE tokenCount',
      }),
    )
    const refused = await create(user, { name: 'past the quota' })
    expect(refused.status).toBe(403)
    expect(refused.body.code).toBe('quota_exceeded')
    const { Item } = await app.db.send(new GetCommand({ TableName: app.tableName, Key: key }))
    expect(Item?.tokenCount).toBe(5) // counted, not started from zero
    const listed = await app.api('GET', '/api/tokens', { token: user })
    const last = listed.body.tokens[4].id
    expect((await app.api('DELETE', `/api/tokens/${last}`, { token: user })).status).toBe(204)
    expect((await create(user, { name: 'room for one' })).status).toBe(200)
    expect((await create(user, { name: 'and no more' })).status).toBe(403)
  })
})

it('publishes AccessTokenRotated and TokenPolicyChanged, holding no secret or hash', async () => {
  const rotated = await eventually(async () => {
    const all = await events()
    return all.some((e) => e['detail-type'] === 'TokenPolicyChanged') &&
      all.filter((e) => e['detail-type'] === 'AccessTokenRotated').length >= 3
      ? all
      : undefined
  })
  const personal = rotated.find(
    (e) => e['detail-type'] === 'AccessTokenRotated' && e.detail.token_type === 'personal',
  )
  expect(personal.detail).toMatchObject({ team: 'acme', actor: 'admin', user: 'admin' })
  expect(
    rotated.some(
      (e) => e['detail-type'] === 'AccessTokenRotated' && e.detail.token_type === 'server',
    ),
  ).toBe(true)
  expect(
    rotated.some(
      (e) => e['detail-type'] === 'AccessTokenRotated' && e.detail.token_type === 'enrollment',
    ),
  ).toBe(true)
  const policy = rotated.find((e) => e['detail-type'] === 'TokenPolicyChanged')
  expect(policy.detail).toMatchObject({
    team: 'policy',
    actor: 'root',
    changes: { maxLifetimeDays: { from: null, to: 30 }, inactiveDays: { from: null, to: 90 } },
  })
  const text = await log.text()
  expectNoFragmentOf(
    text,
    secrets.flatMap((secret) => [secret.slice(-49), sha256(secret.slice(-49, -6))]),
  )
})
