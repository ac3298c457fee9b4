import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp } from '../support/app.js'

/**
 * GET /v1/teams/{team}/users over HTTP on DynamoDB Local: an admin sees the team's
 * users by name with their role, MFA and lockout, never a password or its hash; pages
 * with the API's cursors; members, scoped tokens and other teams are refused.
 */
let app: Awaited<ReturnType<typeof startTestApp>>
let admin: string
let bob: string
const bobPassword = 'correct horse battery staple'

beforeAll(async () => {
  app = await startTestApp('acme')
  admin = app.admin.token
  bob = await app.addUser('acme', 'bob', 'member')
  await app.addUser('acme', 'carol', 'member')
  await app.addUser('acme', 'dan', 'admin')
  await app.addUser('other', 'olga', 'admin')
  // Modules that read the configuration load after the app has set it.
  const users = await import('../../shared/data/users.js')
  const { hashPassword } = await import('../../shared/auth/password.js')
  await users.updateUser('acme', 'bob', { passwordHash: await hashPassword(bobPassword) })
  await users.updateUser('acme', 'carol', { mfaEnabled: true })
})
afterAll(() => app?.close())

const list = (token: string, query = '', team = 'acme') =>
  app.api('GET', `/v1/teams/${team}/users${query}`, { token })

const grant = (password: string) =>
  app.api('POST', '/tokens', {
    body: { accountName: 'acme', username: 'bob', password, tokenName: `t-${Math.random()}` },
  })

describe('GET /v1/teams/{team}/users', () => {
  it('lists the team by name: role, password, MFA, lockout; nothing secret', async () => {
    const reply = await list(admin)
    expect(reply.status).toBe(200)
    expect(reply.headers.get('link')).toBeNull()
    const byName = reply.body.list.map((u: { username: string }) => u.username)
    expect(byName).toEqual(['admin', 'bob', 'carol', 'dan'])
    expect(reply.body.list[1]).toEqual({
      username: 'bob',
      role: 'member',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      hasPassword: true,
      mfaEnabled: false,
      lockedOut: false,
      lockedUntil: null,
    })
    expect(reply.body.list[2]).toMatchObject({ username: 'carol', mfaEnabled: true })
    expect(reply.body.list[2].hasPassword).toBe(false)
    expect(reply.body.list[3]).toMatchObject({ username: 'dan', role: 'admin' })
    expect(JSON.stringify(reply.body)).not.toMatch(/scrypt|passwordHash|tokenSeq|olga/)
  })

  it('shows a lockout after five wrong passwords, until its window closes; a service token reads it too', async () => {
    for (let i = 0; i < 5; i++) expect((await grant('wrong')).status).toBe(401)
    expect((await grant(bobPassword)).status).toBe(429)
    const exchanged = await app.api('POST', '/v1/teams/acme/service_token', {
      body: { key_id: '1', key_secret: admin },
    })
    const reply = await list(exchanged.body.bearer_token)
    expect(reply.status).toBe(200)
    const locked = reply.body.list.find((u: { username: string }) => u.username === 'bob')
    expect(locked.lockedOut).toBe(true)
    const until = Date.parse(locked.lockedUntil)
    expect(until - Date.now()).toBeGreaterThan(14 * 60_000)
    expect(until - Date.now()).toBeLessThanOrEqual(15 * 60_000)
    // Nobody else is locked out: a lockout is per username.
    expect(reply.body.list.filter((u: { lockedOut: boolean }) => u.lockedOut)).toHaveLength(1)
  })

  it('pages with a cursor, bound to its list; a bad cursor or count is a 400', async () => {
    const first = await list(admin, '?count=3')
    expect(first.body.list.map((u: { username: string }) => u.username)).toEqual([
      'admin',
      'bob',
      'carol',
    ])
    const link = first.headers.get('link') ?? ''
    const next = /^<([^>]+)>; rel="next"$/.exec(link)?.[1] ?? ''
    expect(next).toMatch(/^\/v1\/teams\/acme\/users\?count=3&offset=/)
    const second = await app.api('GET', next, { token: admin })
    expect(second.status).toBe(200)
    expect(second.body.list.map((u: { username: string }) => u.username)).toEqual(['dan'])
    expect(second.headers.get('link')).toBeNull()
    const offset = new URL(next, app.url).searchParams.get('offset')
    // The same cursor on another team's list is refused, not read there.
    const foreign = await list(
      await app.addUser('other', 'oscar', 'admin'),
      `?offset=${offset}`,
      'other',
    )
    expect(foreign.status).toBe(400)
    expect(foreign.body.errors).toEqual([{ description: 'offset', message: expect.any(String) }])
    const bad = await list(admin, '?offset=garbage')
    expect(bad.status).toBe(400)
    expect(bad.body.code).toBe('invalid_request')
    const count = await list(admin, '?count=1001')
    expect(count.status).toBe(400)
    expect(count.body.errors[0].description).toBe('count')
  })

  it('refuses members (403), tokens without tokens:read (403) and other teams (404)', async () => {
    const member = await list(bob)
    expect(member.status).toBe(403)
    expect(member.body.code).toBe('forbidden_error')
    const made = await app.api('POST', '/api/tokens', {
      token: admin,
      body: { name: 'projects only', scopes: ['projects:read'] },
    })
    const scoped = await list(made.body.accessKey)
    expect(scoped.status).toBe(403)
    expect(scoped.body.message).toContain('tokens:read')
    const foreign = await list(admin, '', 'other')
    expect(foreign.status).toBe(404)
    expect(foreign.body.code).toBe('resource_does_not_exist')
    const none = await list('', '')
    expect(none.status).toBe(401)
  })
})
