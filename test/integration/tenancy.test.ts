import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUILT_IN_SCOPES } from '../../shared/auth/scopes.js'
import { routeList } from '../../shared/routes.js'
import { startTestApp } from '../support/app.js'

/**
 * The shared tenancy suite: every team-scoped route in the route table, called by
 * another team's admin (personal token and service token) on a resource that exists,
 * answers exactly what a team that does not exist answers (404), and changes nothing.
 * Members get 403 on every route that needs the admin role. New routes join by being
 * in the table; a route whose path parameters have no fixture here fails the suite.
 */
let app: Awaited<ReturnType<typeof startTestApp>>
const intruders: Record<string, string> = {}
let victimAdmin: string
let victimMember: string

/** Path parameter values that name existing resources of the victim team. */
// `user`: the victim admin, whose token 1 is their credential here: a tenancy hole
// would show as every later call of theirs failing.
const fixtures: Record<string, string> = {
  team: 'victim',
  project: 'p1',
  tokenId: '1',
  user: 'root',
}
/** The victim admin's tokens holding every built-in scope but one, by the scope left out. */
const allBut: Record<string, { personal: string; service: string }> = {}

const bearerFor = async (token: string, team: string, id = 1) => {
  const reply = await app.api('POST', `/v1/teams/${team}/service_token`, {
    body: { key_id: String(id), key_secret: token },
  })
  return reply.body.bearer_token as string
}

beforeAll(async () => {
  app = await startTestApp('acme')
  victimAdmin = await app.addUser('victim', 'root', 'admin')
  victimMember = await app.addUser('victim', 'mia', 'member')
  await app.api('POST', '/v1/teams/victim/projects', { token: victimAdmin, body: { name: 'p1' } })
  const enrollment = await app.api(
    'POST',
    '/v1/teams/victim/projects/p1/server_enrollment_tokens',
    {
      token: victimAdmin,
      body: { description: 'fleet' },
    },
  )
  fixtures.enrollmentTokenId = enrollment.body.id
  const enrolled = await app.api('POST', '/v1/teams/victim/projects/p1/servers', {
    token: enrollment.body.token,
    body: { hostname: 'h1' },
  })
  fixtures.serverId = enrolled.body.server.id
  const cloudAccount = await app.api('POST', '/v1/teams/victim/projects/p1/cloud_accounts', {
    token: victimAdmin,
    body: { provider: 'aws', account_id: '111122223333' },
  })
  fixtures.cloudAccountId = cloudAccount.body.id
  // The intruder has the victim admin's username: only the team tells them apart.
  intruders['personal token'] = await app.addUser('intruders', 'root', 'admin')
  intruders['service token'] = await bearerFor(intruders['personal token'] ?? '', 'intruders')
  for (const left of BUILT_IN_SCOPES) {
    const scopes = ['orders:read', ...BUILT_IN_SCOPES.filter((scope) => scope !== left)]
    const made = await app.api('POST', '/api/tokens', {
      token: victimAdmin,
      body: { name: `all but ${left}`, scopes },
    })
    const personal = made.body.accessKey as string
    allBut[left] = { personal, service: await bearerFor(personal, 'victim', made.body.token.id) }
  }
})
const scoped = routeList.filter((route) => route.access !== undefined)
const pathWith = (template: string, values: Record<string, string>) =>
  template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = values[name]
    if (value === undefined) throw new Error(`no tenancy fixture for {${name}} in ${template}`)
    return value
  })
// Valid bodies: authorisation runs before the body is read, and these would be written.
const bodyFor = (method: string) =>
  method === 'POST'
    ? { name: 'intruder', description: 'intruder' }
    : method === 'PUT'
      ? { create_server_users: true, next_unix_uid: 1000 }
      : undefined

it('covers every team route a user calls (agents have their own credentials)', () => {
  // A row under /v1/teams/{team}/ without `access` would skip the team check unnoticed.
  const key = (r: { method: string; path: string }) => `${r.method} ${r.path}`
  const teamRoutes = routeList.filter(
    (route) => route.path.startsWith('/v1/teams/{team}/') && route.auth === 'user',
  )
  expect(scoped.map(key)).toEqual(teamRoutes.map(key))
  expect(scoped.map(key)).toContain('DELETE /v1/teams/{team}/projects/{project}')
  expect(scoped.map(key)).toContain('PUT /v1/teams/{team}/projects/{project}')
})

describe.each(scoped)('$method $path', (route) => {
  it.each(['personal token', 'service token'])(
    "answers another team's %s exactly as for a team that does not exist",
    async (kind) => {
      const token = intruders[kind]
      const victim = await app.api(route.method, pathWith(route.path, fixtures), {
        token,
        body: bodyFor(route.method),
      })
      const nowhere = await app.api(
        route.method,
        pathWith(route.path, { ...fixtures, team: 'no-such-team' }),
        { token, body: bodyFor(route.method) },
      )
      expect(victim.status).toBe(404)
      expect(victim.body).toEqual({
        code: 'resource_does_not_exist',
        message: 'The team does not exist.',
        errors: [],
      })
      expect(nowhere.status).toBe(404)
      expect(nowhere.body).toEqual(victim.body)
    },
  )

  if (route.access === 'manage') {
    it('answers 403 to a member of the team', async () => {
      const reply = await app.api(route.method, pathWith(route.path, fixtures), {
        token: victimMember,
        body: bodyFor(route.method),
      })
      expect(reply.status).toBe(403)
      expect(reply.body.code).toBe('forbidden_error')
    })
  }
})

/**
 * Scopes: a scoped token can never reach a route outside its scopes. Over every route
 * with a scope, the team's own admin holding every other built-in scope (and one of
 * their own) gets 403 naming the missing scope, with a personal or a service token,
 * and changes nothing.
 */
const withScope = routeList.filter((route) => route.scope !== undefined)

it('covers every route a user calls', () => {
  expect(withScope.length).toBe(
    routeList.filter((route) => route.auth === 'user' || route.auth === 'optional').length,
  )
})

describe.each(withScope)('$method $path without its scope', (route) => {
  it.each(['personal', 'service'] as const)(
    'answers 403 naming the scope (%s token)',
    async (kind) => {
      const token = allBut[route.scope ?? '']?.[kind]
      const reply = await app.api(route.method, pathWith(route.path, fixtures), {
        token,
        body: bodyFor(route.method),
      })
      expect(reply.status).toBe(403)
      expect(reply.body).toEqual({
        code: 'forbidden_error',
        message: `This token lacks the scope ${route.scope}, which this route needs.`,
        errors: [],
      })
    },
  )
})

afterAll(async () => {
  try {
    // No scoped token deleted or made a token of the victim's.
    const own = await app.api('GET', '/api/tokens', { token: victimAdmin })
    expect(own.body.tokens).toHaveLength(1 + BUILT_IN_SCOPES.length)
    // Nothing an intruder or a member sent was written or deleted.
    const list = await app.api('GET', '/v1/teams/victim/projects', { token: victimAdmin })
    expect(list.body.list.map((p: { name: string }) => p.name)).toEqual(['p1'])
    const p1 = '/v1/teams/victim/projects/p1'
    const project = await app.api('GET', p1, { token: victimAdmin })
    expect(project.body).toMatchObject({ create_server_users: false, next_unix_uid: 60001 })
    const tokens = await app.api('GET', `${p1}/server_enrollment_tokens`, { token: victimAdmin })
    expect(tokens.body.list.map((t: { id: string }) => t.id)).toEqual([fixtures.enrollmentTokenId])
    const servers = await app.api('GET', `${p1}/servers`, { token: victimAdmin })
    expect(servers.body.list.map((t: { id: string }) => t.id)).toEqual([fixtures.serverId])
    const cloud = await app.api('GET', `${p1}/cloud_accounts`, { token: victimAdmin })
    expect(cloud.body.list.map((a: { id: string }) => a.id)).toEqual([fixtures.cloudAccountId])
  } finally {
    await app?.close()
  }
})
