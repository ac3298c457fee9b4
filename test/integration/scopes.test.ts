import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp } from '../support/app.js'

/** Scopes and meta on personal tokens, end to end (the route-by-route sweep is in tenancy). */
let app: Awaited<ReturnType<typeof startTestApp>>
let member: string

beforeAll(async () => {
  app = await startTestApp('acme')
  member = await app.addUser('acme', 'mia', 'member')
})
afterAll(() => app?.close())

const make = (token: string, body: Record<string, unknown>) =>
  app.api('POST', '/api/tokens', { token, body })

const serviceToken = async (personal: string, id: number) =>
  (
    await app.api('POST', '/v1/teams/acme/service_token', {
      body: { key_id: String(id), key_secret: personal },
    })
  ).body.bearer_token as string

describe('scoped tokens', () => {
  it('shows scopes and meta in the answer and the listing, and limits the token to them', async () => {
    const meta = { customer: 'c-42', plan: { tier: 'pro', seats: 5 } }
    const made = await make(app.admin.token, {
      name: 'reader',
      scopes: ['tokens:read', 'orders:read'],
      meta,
    })
    expect(made.status).toBe(200)
    expect(made.body.token).toMatchObject({ scopes: ['tokens:read', 'orders:read'], meta })
    const listed = await app.api('GET', '/api/tokens', { token: made.body.accessKey })
    expect(listed.status).toBe(200)
    const mine = listed.body.tokens.find((t: { name: string }) => t.name === 'reader')
    expect(mine).toMatchObject({ scopes: ['tokens:read', 'orders:read'], meta, rateLimit: null })
    const refused = await make(made.body.accessKey, { name: 'escalate' })
    expect(refused.status).toBe(403)
    expect(refused.body.message).toBe(
      'This token lacks the scope tokens:write, which this route needs.',
    )
    const projects = await app.api('GET', '/v1/teams/acme/projects', {
      token: made.body.accessKey,
    })
    expect(projects.status).toBe(403)
    expect(projects.body.message).toContain('projects:read')
  })

  it("refuses a member an admin's scope, naming it, and gives the member's own", async () => {
    const refused = await make(member, { name: 'too much', scopes: ['projects:write'] })
    expect(refused.status).toBe(403)
    expect(refused.body).toEqual({
      code: 'forbidden_error',
      message: "A member's token cannot hold the scope projects:write.",
      errors: [],
    })
    const fine = await make(member, { name: 'enough', scopes: ['projects:read', 'tokens:verify'] })
    expect(fine.status).toBe(200)
  })

  it('keeps a token made without scopes able to do all its role allows', async () => {
    const made = await make(app.admin.token, { name: 'unscoped' })
    expect(made.body.token.scopes).toBeNull()
    const project = await app.api('POST', '/v1/teams/acme/projects', {
      token: made.body.accessKey,
      body: { name: 'unscoped-web' },
    })
    expect(project.status).toBe(201)
  })

  it('carries the scopes of the minting token into the service JWT', async () => {
    const made = await make(app.admin.token, {
      name: 'jwt source',
      scopes: ['projects:read', 'orders:read'],
    })
    const jwt = await serviceToken(made.body.accessKey, made.body.token.id)
    const [, payload = ''] = jwt.split('.')
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString()).scopes).toEqual([
      'projects:read',
      'orders:read',
    ])
    const read = await app.api('GET', '/v1/teams/acme/projects', { token: jwt })
    expect(read.status).toBe(200)
    const write = await app.api('POST', '/v1/teams/acme/projects', {
      token: jwt,
      body: { name: 'by-jwt' },
    })
    expect(write.status).toBe(403)
    expect(write.body.message).toContain('projects:write')
    const mint = await make(jwt, { name: 'from jwt' })
    expect(mint.status).toBe(403)
    // An unscoped token's JWT has no scopes claim: unchanged for ASA clients.
    const plain = await serviceToken(app.admin.token, 1)
    const [, plainPayload = ''] = plain.split('.')
    expect(JSON.parse(Buffer.from(plainPayload, 'base64url').toString())).not.toHaveProperty(
      'scopes',
    )
  })

  it('takes scopes and meta on the token grant (JSON), and refuses them in a form', async () => {
    const json = await app.api('POST', '/tokens', {
      token: app.admin.token,
      body: { tokenName: 'sd scoped', scopes: ['servers:read'], meta: { host: 'ci' } },
    })
    expect(json.status).toBe(200)
    expect(json.body).toMatchObject({ tokenName: 'sd scoped', scopes: ['servers:read'] })
    const form = await app.api('POST', '/tokens', {
      token: app.admin.token,
      rawBody: 'tokenName=sd-form&scopes=servers:read',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(form.status).toBe(400)
    expect(form.body.errors).toEqual([{ description: 'scopes', message: 'must be array' }])
  })

  it('answers 400 for unsafe meta, writing nothing', async () => {
    const reply = await app.api('POST', '/api/tokens', {
      token: app.admin.token,
      rawBody: '{"name": "unsafe", "meta": {"__proto__": {"admin": true}}}',
      headers: { 'content-type': 'application/json' },
    })
    expect(reply.status).toBe(400)
    expect(reply.body.errors[0].description).toBe('meta')
    const listed = await app.api('GET', '/api/tokens', { token: app.admin.token })
    expect(listed.body.tokens.map((t: { name: string }) => t.name)).not.toContain('unsafe')
  })
})
