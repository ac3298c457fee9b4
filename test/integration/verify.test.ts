import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp } from '../support/app.js'

/** Verify over HTTP: personal, service and server tokens, tenancy, expiry, revocation. */
let app: Awaited<ReturnType<typeof startTestApp>>
let verifier: string

beforeAll(async () => {
  app = await startTestApp('acme')
  verifier = (
    await app.api('POST', '/api/tokens', {
      token: app.admin.token,
      body: { name: 'verifier', scopes: ['tokens:verify'] },
    })
  ).body.accessKey
})
afterAll(() => app?.close())

const verify = (token: string, scopes?: string[], team = 'acme', as = verifier) =>
  app.api('POST', `/v1/teams/${team}/tokens/verify`, {
    token: as,
    body: { token, ...(scopes && { scopes }) },
  })

describe('POST /v1/teams/{team}/tokens/verify', () => {
  it('answers VALID with who the token is, its scopes and meta', async () => {
    const made = await app.api('POST', '/api/tokens', {
      token: app.admin.token,
      body: { name: 'orders client', scopes: ['orders:read'], meta: { customer: 'c-9' } },
    })
    const reply = await verify(made.body.accessKey, ['orders:read'])
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual({
      valid: true,
      code: 'VALID',
      token: {
        id: String(made.body.token.id),
        kind: 'personal',
        name: 'orders client',
        team: 'acme',
        user: 'admin',
        scopes: ['orders:read'],
        meta: { customer: 'c-9' },
        expiresAt: null,
      },
    })
    const short = await verify(made.body.accessKey, ['orders:write'])
    expect(short.body).toMatchObject({ valid: false, code: 'INSUFFICIENT_SCOPE' })
  })

  it('answers NOT_FOUND for garbage, a deleted token and another team token alike', async () => {
    const made = await app.api('POST', '/api/tokens', {
      token: app.admin.token,
      body: { name: 'to delete' },
    })
    await app.api('DELETE', `/api/tokens/${made.body.token.id}`, { token: app.admin.token })
    const foreign = await app.addUser('globex', 'gus', 'admin')
    for (const token of ['garbage', made.body.accessKey, foreign]) {
      const reply = await verify(token)
      expect(reply.status).toBe(200)
      expect(reply.body).toEqual({ valid: false, code: 'NOT_FOUND' })
    }
  })

  it('verifies service JWTs of the team only', async () => {
    const exchange = await app.api('POST', '/v1/teams/acme/service_token', {
      body: { key_id: '1', key_secret: app.admin.token },
    })
    const jwt = exchange.body.bearer_token
    const reply = await verify(jwt)
    expect(reply.body).toMatchObject({
      valid: true,
      code: 'VALID',
      token: { kind: 'service', user: 'admin', team: 'acme', scopes: null },
    })
    // The JWT can itself call verify (it is unscoped, so it holds tokens:verify).
    const byJwt = await verify(app.admin.token, undefined, 'acme', jwt)
    expect(byJwt.body.code).toBe('VALID')
  })

  it("verifies an enrolled server's token, and says REVOKED once the server is deleted", async () => {
    const api = '/v1/teams/acme/projects'
    await app.api('POST', api, { token: app.admin.token, body: { name: 'fleet' } })
    const enrollment = await app.api('POST', `${api}/fleet/server_enrollment_tokens`, {
      token: app.admin.token,
      body: { description: 'fleet' },
    })
    const enrolled = await app.api('POST', `${api}/fleet/servers`, {
      token: enrollment.body.token,
      body: { hostname: 'web-01' },
    })
    const serverToken = enrolled.body.server_token
    const id = enrolled.body.server.id
    expect((await verify(serverToken)).body).toMatchObject({
      valid: true,
      token: { kind: 'server', name: 'web-01', project: 'fleet', server: id },
    })
    await app.api('DELETE', `${api}/fleet/servers/${id}`, { token: app.admin.token })
    expect((await verify(serverToken)).body).toEqual({ valid: false, code: 'REVOKED' })
    // The enrollment token is not a token verify answers for.
    expect((await verify(enrollment.body.token)).body.code).toBe('NOT_FOUND')
  })

  it('needs tokens:verify, and a credential of the team in the path', async () => {
    const noScope = await app.api('POST', '/api/tokens', {
      token: app.admin.token,
      body: { name: 'no verify', scopes: ['orders:read'] },
    })
    const refused = await verify('garbage', undefined, 'acme', noScope.body.accessKey)
    expect(refused.status).toBe(403)
    expect(refused.body.message).toContain('tokens:verify')
    const elsewhere = await verify('garbage', undefined, 'globex')
    expect(elsewhere.status).toBe(404)
  })
})
