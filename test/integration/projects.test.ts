import { randomUUID } from 'node:crypto'
import { BatchWriteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp } from '../support/app.js'

let app: Awaited<ReturnType<typeof startTestApp>>
let admin: string
let member: string
let bearer: string

beforeAll(async () => {
  app = await startTestApp('acme')
  admin = app.admin.token
  member = await app.addUser('acme', 'mia', 'member')
  const id = (await app.api('GET', '/api/tokens', { token: admin })).body.tokens[0].id
  const exchange = await app.api('POST', '/v1/teams/acme/service_token', {
    body: { key_id: String(id), key_secret: admin },
  })
  bearer = exchange.body.bearer_token
})
afterAll(() => app?.close())

const projects = '/v1/teams/acme/projects'

/** The URL of a `Link` header's entry with this rel (`<url>; rel="next", <url>; rel="prev"`). */
const linkOf = (header: string | null, rel: 'next' | 'prev' = 'next') =>
  (header ?? '')
    .split(', ')
    .map((part) => /^<([^>]+)>; rel="(\w+)"$/.exec(part))
    .find((match) => match?.[2] === rel)?.[1]
const nextOf = (header: string | null) => linkOf(header, 'next')
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
/** What a project shows for the settings it never set: ASA's defaults. */
const DEFAULTS = {
  next_unix_uid: 60001,
  next_unix_gid: 63001,
  create_server_users: false,
  forward_traffic: false,
  require_preauth_for_creds: false,
  rdp_session_recording: false,
  ssh_session_recording: false,
  force_shared_ssh_users: false,
  gateway_selector: null,
  ssh_certificate_type: null,
  shared_admin_user_name: null,
  shared_standard_user_name: null,
  user_on_demand_period: null,
}

describe('projects', () => {
  it('creates (201), fetches, lists and deletes (204) a project', async () => {
    const created = await app.api('POST', projects, { token: admin, body: { name: 'web' } })
    expect(created.status).toBe(201)
    expect(created.body).toEqual({
      id: expect.stringMatching(UUID_V7),
      name: 'web',
      team: 'acme',
      team_name: 'acme',
      deleted_at: null,
      created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      ...DEFAULTS,
    })
    const fetched = await app.api('GET', `${projects}/web`, { token: member })
    expect(fetched.status).toBe(200)
    expect(fetched.body).toEqual(created.body)
    const listed = await app.api('GET', projects, { token: bearer })
    expect(listed.status).toBe(200)
    expect(listed.body).toEqual({ list: [created.body] })
    expect(listed.headers.get('link')).toBeNull()

    expect((await app.api('DELETE', `${projects}/web`, { token: bearer })).status).toBe(204)
    const gone = await app.api('GET', `${projects}/web`, { token: admin })
    expect(gone.status).toBe(404)
    expect(gone.body.code).toBe('resource_does_not_exist')
    expect((await app.api('DELETE', `${projects}/web`, { token: admin })).status).toBe(404)
  })

  it('matches the media type case-insensitively (ASA providers send Application/json)', async () => {
    for (const [name, type] of [
      ['typed-1', 'Application/json'],
      ['typed-2', 'APPLICATION/JSON; Charset=UTF-8'],
    ]) {
      const reply = await app.api('POST', projects, {
        token: admin,
        rawBody: JSON.stringify({ name, create_server_users: true }),
        headers: { 'content-type': String(type) },
      })
      expect(reply.status, type).toBe(201)
      expect(reply.body.create_server_users).toBe(true)
    }
  })

  it('answers 409 for a name that exists', async () => {
    await app.api('POST', projects, { token: admin, body: { name: 'dup' } })
    const again = await app.api('POST', projects, { token: admin, body: { name: 'dup' } })
    expect(again.status).toBe(409)
    expect(again.body.code).toBe('resource_already_exists')
  })

  it.each([
    ['an upper-case name', { name: 'Web' }, 'name'],
    ['a name with a slash', { name: 'a/b' }, 'name'],
    ['a name of 64 characters', { name: 'a'.repeat(64) }, 'name'],
    ['an unknown field', { name: 'ok', owner: 'x' }, 'owner'],
    ['no name', {}, 'name'],
  ])('answers 400 for %s, naming the field', async (_, body, field) => {
    const reply = await app.api('POST', projects, { token: admin, body })
    expect(reply.status).toBe(400)
    expect(reply.body.code).toBe('invalid_request')
    expect(reply.body.errors.map((e: { description: string }) => e.description)).toContain(field)
  })

  it.each(['GET', 'DELETE'])(
    'answers 400 to %s on a path name that breaks the names rule',
    async (method) => {
      const reply = await app.api(method, `${projects}/UPPER`, { token: admin })
      expect(reply.status).toBe(400)
      expect(reply.body.code).toBe('invalid_request')
      expect(reply.body.errors[0].description).toBe('project')
    },
  )

  it('lets members read but not create or delete (403), with personal or service tokens', async () => {
    await app.api('POST', projects, { token: admin, body: { name: 'kept' } })
    const memberId = (await app.api('GET', '/api/tokens', { token: member })).body.tokens[0].id
    const memberBearer = (
      await app.api('POST', '/v1/teams/acme/service_token', {
        body: { key_id: String(memberId), key_secret: member },
      })
    ).body.bearer_token
    for (const token of [member, memberBearer]) {
      const create = await app.api('POST', projects, { token, body: { name: 'nope' } })
      expect(create.status).toBe(403)
      expect(create.body.code).toBe('forbidden_error')
      expect((await app.api('DELETE', `${projects}/kept`, { token })).status).toBe(403)
      expect((await app.api('GET', projects, { token })).status).toBe(200)
    }
    expect((await app.api('GET', `${projects}/kept`, { token: admin })).status).toBe(200)
    expect((await app.api('GET', `${projects}/nope`, { token: admin })).status).toBe(404)
  })

  it('reads the role of a personal token user at request time (a demoted admin is refused)', async () => {
    const boss = await app.addUser('acme', 'boss', 'admin')
    expect(
      (await app.api('POST', projects, { token: boss, body: { name: 'by-boss' } })).status,
    ).toBe(201)
    const users = await import('../../shared/data/users.js')
    await users.updateUser('acme', 'boss', { role: 'member' })
    const reply = await app.api('POST', projects, { token: boss, body: { name: 'by-boss-2' } })
    expect(reply.status).toBe(403)
  })
})

describe('pagination', () => {
  const team = 'pages'
  let owner: string
  const names = ['p01', 'p02', 'p03', 'p04', 'p05', 'p06', 'p07']

  beforeAll(async () => {
    owner = await app.addUser(team, 'owner', 'admin')
    for (const name of names)
      await app.api('POST', `/v1/teams/${team}/projects`, { token: owner, body: { name } })
  })

  it('walks every page with Link: rel="next" and stops when none remain', async () => {
    const seen: string[] = []
    let path: string | undefined = `/v1/teams/${team}/projects?count=3`
    const sizes: number[] = []
    while (path) {
      const reply = await app.api('GET', path, { token: owner })
      expect(reply.status).toBe(200)
      sizes.push(reply.body.list.length)
      seen.push(...reply.body.list.map((p: { name: string }) => p.name))
      path = nextOf(reply.headers.get('link'))
      if (path) expect(path).toMatch(new RegExp(`^/v1/teams/${team}/projects\\?count=3&offset=`))
    }
    expect(seen).toEqual(names)
    expect(sizes).toEqual([3, 3, 1])
  })

  it('walks back with rel="prev" (ASA\'s prev=true), and on again with rel="next"', async () => {
    const get = async (path: string) => {
      const reply = await app.api('GET', path, { token: owner })
      expect(reply.status).toBe(200)
      const link = reply.headers.get('link')
      return {
        names: reply.body.list.map((p: { name: string }) => p.name),
        next: linkOf(link, 'next'),
        prev: linkOf(link, 'prev'),
      }
    }
    const first = await get(`/v1/teams/${team}/projects?count=3`)
    expect(first.prev).toBeUndefined() // the first page has none
    const second = await get(String(first.next))
    expect(second.prev).toMatch(/[?&]prev=true(&|$)/)
    const third = await get(String(second.next))
    expect(third.names).toEqual(['p07'])
    // The last page links nowhere: oktapam's ListProjects would follow any Link there.
    expect(third.prev).toBeUndefined()
    const start = await get(String(second.prev))
    expect(start.names).toEqual(['p01', 'p02', 'p03'])
    expect(start.prev).toBeUndefined() // nothing before it
    expect((await get(String(start.next))).names).toEqual(['p04', 'p05', 'p06'])
    // Two pages back from the third of four: a page read backward links further back.
    const two = await get(`/v1/teams/${team}/projects?count=2`)
    const twoThird = await get(String((await get(String(two.next))).next))
    expect(twoThird.names).toEqual(['p05', 'p06'])
    const twoBack = await get(String(twoThird.prev))
    expect(twoBack.names).toEqual(['p03', 'p04'])
    expect((await get(String(twoBack.prev))).names).toEqual(['p01', 'p02'])
    // Descending and filtered lists page back in their own order.
    const down = await get(`/v1/teams/${team}/projects?count=2&descending=true`)
    const down2 = await get(String(down.next))
    expect(down2.names).toEqual(['p05', 'p04'])
    expect((await get(String(down2.prev))).names).toEqual(['p07', 'p06'])
    const some = await get(`/v1/teams/${team}/projects?count=1&contains=p0`)
    const some2 = await get(String(some.next))
    expect((await get(String(some2.prev))).names).toEqual(['p01'])
  })

  it('gives no Link when the last page is exactly full', async () => {
    const reply = await app.api('GET', `/v1/teams/${team}/projects?count=7`, { token: owner })
    expect(reply.body.list).toHaveLength(7)
    expect(reply.headers.get('link')).toBeNull()
  })

  it('defaults to 100 a page', async () => {
    const reply = await app.api('GET', `/v1/teams/${team}/projects`, { token: owner })
    expect(reply.body.list).toHaveLength(7)
  })

  it.each(['0', '1001', 'ten', '-1', '1.5'])('answers 400 for count=%s', async (count) => {
    const reply = await app.api('GET', `/v1/teams/${team}/projects?count=${count}`, {
      token: owner,
    })
    expect(reply.status).toBe(400)
    expect(reply.body.errors[0]).toEqual({
      description: 'count',
      message: 'must be an integer from 1 to 1000',
    })
  })

  it("answers 400 for a cursor that is garbage, another list's or outside the list", async () => {
    const first = await app.api('GET', `/v1/teams/${team}/projects?count=2`, { token: owner })
    const cursor = String(
      new URL(nextOf(first.headers.get('link')) ?? '', 'http://x').searchParams.get('offset'),
    )
    const claims = JSON.parse(Buffer.from(cursor, 'base64url').toString())
    const made = (changes: Record<string, unknown>) =>
      Buffer.from(JSON.stringify({ ...claims, ...changes })).toString('base64url')
    const bad = [
      'garbage',
      `${cursor}x`,
      made({ after: 'USER#admin' }), // outside the projects range: never the user records
      made({ after: 'PROJECT#'.padEnd(1100, 'x') }), // longer than any sort key
      made({ scope: 'TEAM#acme|PROJECT#' }), // names another team's list
      made({ v: 2 }),
    ]
    for (const offset of bad) {
      const reply = await app.api(
        'GET',
        `/v1/teams/${team}/projects?offset=${encodeURIComponent(offset)}`,
        { token: owner },
      )
      expect(reply.status, offset).toBe(400)
      expect(reply.body.errors[0].description).toBe('offset')
    }
    // A genuine cursor from this team's list, replayed on another team's list.
    const reply = await app.api('GET', `/v1/teams/acme/projects?offset=${cursor}`, {
      token: admin,
    })
    expect(reply.status).toBe(400)
  })

  it("lets a hand-made cursor do no more than start the caller's own list elsewhere", async () => {
    const all = await app.api('GET', `/v1/teams/${team}/projects`, { token: owner })
    const names: string[] = all.body.list.map((p: { name: string }) => p.name)
    expect(names.length).toBeGreaterThan(3)
    const first = await app.api('GET', `/v1/teams/${team}/projects?count=1`, { token: owner })
    const cursor = String(
      new URL(nextOf(first.headers.get('link')) ?? '', 'http://x').searchParams.get('offset'),
    )
    const claims = JSON.parse(Buffer.from(cursor, 'base64url').toString())
    const skipTo = Buffer.from(JSON.stringify({ ...claims, after: `PROJECT#${names[2]}` }))
    const reply = await app.api(
      'GET',
      `/v1/teams/${team}/projects?offset=${skipTo.toString('base64url')}`,
      { token: owner },
    )
    expect(reply.status).toBe(200)
    expect(reply.body.list.map((p: { name: string }) => p.name)).toEqual(names.slice(3))
  })
})

describe('settings (ASA project fields)', () => {
  const every = {
    next_unix_uid: 60101,
    next_unix_gid: 63001,
    create_server_users: true,
    forward_traffic: true,
    require_preauth_for_creds: true,
    rdp_session_recording: true,
    ssh_session_recording: true,
    force_shared_ssh_users: true,
    gateway_selector: 'env=prod, region=eu-west-1',
    ssh_certificate_type: 'CERT_TYPE_ED25519_01',
    shared_admin_user_name: 'ops_admin',
    shared_standard_user_name: 'ops',
    user_on_demand_period: 3600,
  }

  it('stores every setting given at create and returns it (201 and GET)', async () => {
    const created = await app.api('POST', projects, {
      token: admin,
      body: { name: 'full', ...every },
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ name: 'full', team: 'acme', deleted_at: null, ...every })
    const fetched = await app.api('GET', `${projects}/full`, { token: member })
    expect(fetched.body).toEqual(created.body)
  })

  it('takes null, and "" for free strings, as "not set"', async () => {
    const created = await app.api('POST', projects, {
      token: admin,
      body: {
        name: 'nulls',
        next_unix_uid: null,
        gateway_selector: '',
        shared_admin_user_name: null,
        ssh_certificate_type: null,
        user_on_demand_period: null,
      },
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject(DEFAULTS)
  })

  it.each([
    ['uid 0 (root)', { next_unix_uid: 0 }, 'next_unix_uid'],
    ['uid 999', { next_unix_uid: 999 }, 'next_unix_uid'],
    ['gid 2^31', { next_unix_gid: 2_147_483_648 }, 'next_unix_gid'],
    ['a uid as a string', { next_unix_uid: '60001' }, 'next_unix_uid'],
    ['a fractional gid', { next_unix_gid: 63001.5 }, 'next_unix_gid'],
    ['a boolean as a string', { create_server_users: 'true' }, 'create_server_users'],
    ['a boolean as a number', { forward_traffic: 1 }, 'forward_traffic'],
    [
      'an unknown certificate type',
      { ssh_certificate_type: 'CERT_TYPE_DSA' },
      'ssh_certificate_type',
    ],
    ['an upper-case user name', { shared_admin_user_name: 'Root' }, 'shared_admin_user_name'],
    [
      'a user name of 33',
      { shared_standard_user_name: 'a'.repeat(33) },
      'shared_standard_user_name',
    ],
    ['a selector without =', { gateway_selector: 'prod' }, 'gateway_selector'],
    ['a period of 0', { user_on_demand_period: 0 }, 'user_on_demand_period'],
    ['a period over 30 days', { user_on_demand_period: 2_592_001 }, 'user_on_demand_period'],
    ['an unknown field', { ad_joined_users: true }, 'ad_joined_users'],
  ])('answers 400 for %s, naming the field (create and update)', async (_, settings, field) => {
    const create = await app.api('POST', projects, {
      token: admin,
      body: { name: 'bad-settings', ...settings },
    })
    expect(create.status).toBe(400)
    expect(create.body.code).toBe('invalid_request')
    expect(create.body.errors.map((e: { description: string }) => e.description)).toEqual([field])
    const update = await app.api('PUT', `${projects}/full`, { token: admin, body: settings })
    expect(update.status).toBe(400)
    expect(update.body.errors.map((e: { description: string }) => e.description)).toEqual([field])
    expect((await app.api('GET', `${projects}/bad-settings`, { token: admin })).status).toBe(404)
  })

  it('needs both shared user names when force_shared_ssh_users is true', async () => {
    const reply = await app.api('POST', projects, {
      token: admin,
      body: { name: 'shared', force_shared_ssh_users: true, shared_admin_user_name: 'adm' },
    })
    expect(reply.status).toBe(400)
    expect(reply.body.errors).toEqual([
      {
        description: 'shared_standard_user_name',
        message: 'is required when force_shared_ssh_users is true',
      },
    ])
  })
})

describe('PUT /v1/teams/{team}/projects/{project}', () => {
  const path = `${projects}/tuned`
  beforeAll(async () => {
    await app.api('POST', projects, { token: admin, body: { name: 'tuned', next_unix_uid: 61000 } })
  })

  it('changes only the settings it names (204) and keeps the id', async () => {
    const before = (await app.api('GET', path, { token: admin })).body
    const reply = await app.api('PUT', path, {
      token: bearer,
      body: { forward_traffic: true, gateway_selector: 'env=prod' },
    })
    expect(reply.status).toBe(204)
    expect(reply.text).toBe('')
    const after = (await app.api('GET', path, { token: member })).body
    expect(after).toEqual({ ...before, forward_traffic: true, gateway_selector: 'env=prod' })
  })

  it('accepts the same name and refuses another (400 naming name)', async () => {
    const same = await app.api('PUT', path, {
      token: admin,
      body: { name: 'tuned', ssh_session_recording: true },
    })
    expect(same.status).toBe(204)
    const other = await app.api('PUT', path, { token: admin, body: { name: 'renamed' } })
    expect(other.status).toBe(400)
    expect(other.body.errors).toEqual([
      { description: 'name', message: 'cannot change (the project is "tuned")' },
    ])
    expect((await app.api('GET', `${projects}/renamed`, { token: admin })).status).toBe(404)
    expect((await app.api('GET', path, { token: admin })).body.ssh_session_recording).toBe(true)
  })

  it('sends a setting back to its default with null or ""', async () => {
    await app.api('PUT', path, {
      token: admin,
      body: { gateway_selector: '', next_unix_uid: null },
    })
    const after = (await app.api('GET', path, { token: admin })).body
    expect(after.gateway_selector).toBeNull()
    expect(after.next_unix_uid).toBe(60001)
  })

  it('checks the shared-user rule on the merged settings', async () => {
    const alone = await app.api('PUT', path, {
      token: admin,
      body: { force_shared_ssh_users: true },
    })
    expect(alone.status).toBe(400)
    expect(alone.body.errors.map((e: { description: string }) => e.description)).toEqual([
      'shared_admin_user_name',
      'shared_standard_user_name',
    ])
    const names = { shared_admin_user_name: 'adm', shared_standard_user_name: 'usr' }
    expect((await app.api('PUT', path, { token: admin, body: names })).status).toBe(204)
    const now = await app.api('PUT', path, { token: admin, body: { force_shared_ssh_users: true } })
    expect(now.status).toBe(204)
  })

  it('answers 204 for an empty body or no change, 404 for an unknown project', async () => {
    expect((await app.api('PUT', path, { token: admin, body: {} })).status).toBe(204)
    const missing = await app.api('PUT', `${projects}/nowhere`, {
      token: admin,
      body: { forward_traffic: true },
    })
    expect(missing.status).toBe(404)
    expect(missing.body).toEqual({
      code: 'resource_does_not_exist',
      message: 'The project does not exist.',
      errors: [],
    })
    expect((await app.api('GET', `${projects}/nowhere`, { token: admin })).status).toBe(404)
  })

  it('refuses members (403) and needs a body', async () => {
    const refused = await app.api('PUT', path, { token: member, body: { forward_traffic: false } })
    expect(refused.status).toBe(403)
    expect((await app.api('GET', path, { token: admin })).body.forward_traffic).toBe(true)
    const bodiless = await app.api('PUT', path, { token: admin })
    expect(bodiless.status).toBe(400)
  })

  it('gives a project stored before ids a stable derived id, kept when it is updated', async () => {
    await app.db.send(
      new PutCommand({
        TableName: app.tableName,
        Item: {
          PK: 'TEAM#acme',
          SK: 'PROJECT#legacy',
          kind: 'Project',
          team: 'acme',
          name: 'legacy',
          createdAt: '2026-01-02T03:04:05.678Z',
          createdBy: 'admin',
        },
      }),
    )
    const first = await app.api('GET', `${projects}/legacy`, { token: admin })
    expect(first.body.id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    )
    expect(first.body).toMatchObject(DEFAULTS)
    const again = await app.api('GET', `${projects}/legacy`, { token: member })
    expect(again.body.id).toBe(first.body.id)
    const listed = await app.api('GET', `${projects}?contains=legacy`, { token: admin })
    expect(listed.body.list).toEqual([first.body])
    await app.api('PUT', `${projects}/legacy`, { token: admin, body: { forward_traffic: true } })
    const { Item } = await app.db.send(
      new GetCommand({ TableName: app.tableName, Key: { PK: 'TEAM#acme', SK: 'PROJECT#legacy' } }),
    )
    expect(Item?.id).toBe(first.body.id) // stored by the update, the same id
    expect((await app.api('GET', `${projects}/legacy`, { token: admin })).body.id).toBe(
      first.body.id,
    )
  })
})

describe('?contains=, descending, and the ASA parameters that change nothing', () => {
  const team = 'filters'
  let owner: string
  const list = (query: string) =>
    app.api('GET', `/v1/teams/${team}/projects?${query}`, { token: owner })
  const names = (reply: { body: { list: { name: string }[] } }) =>
    reply.body.list.map((p) => p.name)

  beforeAll(async () => {
    owner = await app.addUser(team, 'owner', 'admin')
    for (const name of ['alpha-web', 'beta-web', 'delta', 'gamma-db', 'web'])
      await app.api('POST', `/v1/teams/${team}/projects`, { token: owner, body: { name } })
  })

  it('filters by name substring, case-insensitively', async () => {
    expect(names(await list('contains=web'))).toEqual(['alpha-web', 'beta-web', 'web'])
    expect(names(await list('contains=WEB'))).toEqual(['alpha-web', 'beta-web', 'web'])
    expect(names(await list('contains=zzz'))).toEqual([])
    expect(names(await list('contains='))).toHaveLength(5)
  })

  it('paginates a filtered list, the filter kept by the cursor (and accepted again)', async () => {
    const seen: string[] = []
    let reply = await list('contains=web&count=1')
    for (;;) {
      seen.push(...names(reply))
      const next = nextOf(reply.headers.get('link'))
      if (!next) break
      expect(next).not.toContain('contains') // a client that adds it again sends it once
      reply = await app.api('GET', `${next}&contains=web`, { token: owner })
      expect(reply.status).toBe(200)
    }
    expect(seen).toEqual(['alpha-web', 'beta-web', 'web'])
  })

  it('refuses a cursor with another filter (400 naming offset)', async () => {
    const first = await list('contains=web&count=1')
    const next = nextOf(first.headers.get('link')) ?? ''
    const reply = await app.api('GET', `${next}&contains=db`, { token: owner })
    expect(reply.status).toBe(400)
    expect(reply.body.errors).toEqual([
      { description: 'offset', message: 'belongs to another filter or order of this list' },
    ])
  })

  it('lists in descending order, across pages', async () => {
    const seen: string[] = []
    let path: string | undefined = `/v1/teams/${team}/projects?descending=true&count=2`
    while (path) {
      const reply = await app.api('GET', path, { token: owner })
      seen.push(...names(reply))
      path = nextOf(reply.headers.get('link'))
    }
    expect(seen).toEqual(['web', 'gamma-db', 'delta', 'beta-web', 'alpha-web'])
    expect(names(await list('descending=1&contains=web'))).toEqual(['web', 'beta-web', 'alpha-web'])
  })

  it.each([
    'self=true',
    'self=false',
    'prev=true',
    'prev=false',
    'descending=false',
    'descending=maybe',
    'self=1&prev=0&descending=',
  ])('accepts %s (never a 400)', async (query) => {
    const reply = await list(query)
    expect(reply.status).toBe(200)
    expect(names(reply)).toEqual(['alpha-web', 'beta-web', 'delta', 'gamma-db', 'web'])
  })
})

describe('a filtered page reads a bounded number of projects', () => {
  const team = 'crowd'
  let owner: string

  beforeAll(async () => {
    owner = await app.addUser(team, 'owner', 'admin')
    // 1,050 projects that do not match, then one that does (it sorts last).
    const items = Array.from({ length: 1050 }, (_, i) => `n${String(i).padStart(4, '0')}`)
      .concat('zz-web')
      .map((name) => ({
        PutRequest: {
          Item: {
            PK: `TEAM#${team}`,
            SK: `PROJECT#${name}`,
            kind: 'Project',
            team,
            name,
            id: randomUUID(),
            createdAt: '2026-11-01T00:00:00.000Z',
            createdBy: 'owner',
          },
        },
      }))
    for (let i = 0; i < items.length; i += 25) {
      await app.db.send(
        new BatchWriteCommand({ RequestItems: { [app.tableName]: items.slice(i, i + 25) } }),
      )
    }
  }, 60_000)

  it('stops after 1,001 projects with what it found and a Link to go on', async () => {
    const path = `/v1/teams/${team}/projects?contains=web&count=10`
    const first = await app.api('GET', path, { token: owner })
    expect(first.status).toBe(200)
    expect(first.body.list).toEqual([]) // the budget ran out before the match
    const next = nextOf(first.headers.get('link'))
    expect(next).toBeDefined()
    const second = await app.api('GET', String(next), { token: owner })
    expect(second.body.list.map((p: { name: string }) => p.name)).toEqual(['zz-web'])
    expect(nextOf(second.headers.get('link'))).toBeUndefined()
  })
})
