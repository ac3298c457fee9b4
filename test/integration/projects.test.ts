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

describe('projects', () => {
  it('creates (201), fetches, lists and deletes (204) a project', async () => {
    const created = await app.api('POST', projects, { token: admin, body: { name: 'web' } })
    expect(created.status).toBe(201)
    expect(created.body).toEqual({
      name: 'web',
      team_name: 'acme',
      created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
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

  it('answers 400 for a path name that breaks the names rule', async () => {
    const reply = await app.api('GET', `${projects}/UPPER`, { token: admin })
    expect(reply.status).toBe(400)
    expect(reply.body.errors[0].description).toBe('project')
  })

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

  const nextOf = (link: string | null) => {
    const match = /^<([^>]+)>; rel="next"$/.exec(link ?? '')
    return match?.[1]
  }

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
