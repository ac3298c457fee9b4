import { GetCommand } from '@aws-sdk/lib-dynamodb'
import { decodeProtectedHeader } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keys } from '../../shared/data/keys.js'
import { startTestApp } from '../support/app.js'

let app: Awaited<ReturnType<typeof startTestApp>>
let adminTokenId: string

beforeAll(async () => {
  app = await startTestApp()
  const list = await app.api('GET', '/api/tokens', { token: app.admin.token })
  adminTokenId = String(list.body.tokens[0].id)
})
afterAll(() => app?.close())

const exchange = (team: string, body: unknown) =>
  app.api('POST', `/v1/teams/${team}/service_token`, { body })

describe('POST /v1/teams/{team}/service_token', () => {
  it('exchanges a personal token for a one-hour ES256 bearer token that authenticates', async () => {
    const reply = await exchange('acme', { key_id: adminTokenId, key_secret: app.admin.token })
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual({
      bearer_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      expires_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/),
      team_name: 'acme',
    })
    const lifetime = Date.parse(reply.body.expires_at) - Date.now()
    expect(lifetime).toBeGreaterThan(3590_000)
    expect(lifetime).toBeLessThanOrEqual(3600_000)
    const header = decodeProtectedHeader(reply.body.bearer_token)
    expect(header.alg).toBe('ES256')

    const jwks = await app.api('GET', '/.well-known/jwks.json')
    expect(jwks.status).toBe(200)
    expect(jwks.body.keys.map((k: { kid: string }) => k.kid)).toContain(header.kid)
    for (const key of jwks.body.keys) expect(key.d).toBeUndefined()

    const used = await app.api('GET', '/api/tokens', { token: reply.body.bearer_token })
    expect(used.status).toBe(200)
    expect(used.body.tokens[0].name).toBe('initial admin token')
  })

  it.each([
    ["a key_id that is not the token's", () => ({ key_id: '999', key_secret: app.admin.token })],
    ['a garbage secret', () => ({ key_id: adminTokenId, key_secret: 'nope' })],
  ])('answers 401 for %s', async (_, body) => {
    const reply = await exchange('acme', body())
    expect(reply.status).toBe(401)
    expect(reply.body.code).toBe('authentication_error')
  })

  it('answers 401 when the token belongs to another team', async () => {
    const outsider = await app.addUser('other-team', 'outsider')
    const id = (await app.api('GET', '/api/tokens', { token: outsider })).body.tokens[0].id
    const reply = await exchange('acme', { key_id: String(id), key_secret: outsider })
    expect(reply.status).toBe(401)
  })

  it('counts an exchange as a use of the personal token (its lastUsed)', async () => {
    const fresh = await app.addUser('acme', 'fresh') // token id 1, never used
    const reply = await exchange('acme', { key_id: '1', key_secret: fresh })
    expect(reply.status).toBe(200)
    const { Item } = await app.db.send(
      new GetCommand({
        TableName: app.tableName,
        Key: keys.accessToken('acme', 'fresh', 1),
        ConsistentRead: true,
      }),
    )
    expect(Date.now() - Date.parse(Item?.lastUsed)).toBeLessThan(60_000)
  })

  it('answers 400 naming the missing field', async () => {
    const reply = await exchange('acme', { key_id: adminTokenId })
    expect(reply.status).toBe(400)
    expect(reply.body.errors).toEqual([{ description: 'key_secret', message: 'is required' }])
  })
})
