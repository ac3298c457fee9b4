import { UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { routeList } from '../../shared/routes.js'
import { issuePersonalToken } from '../../shared/tokens/personal-token.js'
import { startTestApp } from '../support/app.js'

/**
 * The shared authentication suite: every protected route in the route table, every
 * way a credential can be bad, one identical 401. New routes join automatically.
 */
let app: Awaited<ReturnType<typeof startTestApp>>
const bad: Record<string, string> = {}

beforeAll(async () => {
  app = await startTestApp()
  const create = async (body: unknown) =>
    (await app.api('POST', '/api/tokens', { token: app.admin.token, body })).body

  const expired = await create({ name: 'soon expired', expiresInDays: 1 })
  await app.db.send(
    new UpdateCommand({
      TableName: app.tableName,
      Key: { PK: 'TEAM#acme#USER#admin', SK: `PAT#${String(expired.token.id).padStart(16, '0')}` },
      UpdateExpression: 'SET expiresAt = :past',
      ExpressionAttributeValues: { ':past': new Date(Date.now() - 1000).toISOString() },
    }),
  )
  const revoked = await create({ name: 'revoked' })
  await app.api('DELETE', `/api/tokens/${revoked.token.id}`, { token: app.admin.token })

  const valid = app.admin.token
  bad.garbage = 'not-a-token'
  bad['garbage JWT'] = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.'
  bad['JWT-shaped'] = 'a.b.c'
  bad['bad checksum'] = `${valid.slice(0, -1)}${valid.endsWith('A') ? 'B' : 'A'}`
  bad['wrong secret'] = issuePersonalToken({ team: 'acme', username: 'admin', id: 1 }).token
  bad['unknown id'] = issuePersonalToken({ team: 'acme', username: 'admin', id: 4242 }).token
  bad['unknown user'] = issuePersonalToken({ team: 'acme', username: 'ghost', id: 1 }).token
  bad['unknown team'] = issuePersonalToken({ team: 'nowhere', username: 'admin', id: 1 }).token
  bad.expired = expired.accessKey
  bad.revoked = revoked.accessKey
})

afterAll(() => app?.close())

const protectedRoutes = routeList.filter((route) => route.auth !== 'none')
const pathOf = (template: string) => template.replace(/\{[^}]+\}/g, '1')

describe.each(protectedRoutes)('$method $path', (route) => {
  const expect401 = async (reply: Awaited<ReturnType<typeof app.api>>) => {
    expect(reply.status).toBe(401)
    expect(reply.body).toEqual({
      code: 'authentication_error',
      message: 'The credentials are missing, invalid, expired or revoked.',
      errors: [],
    })
    expect(reply.headers.get('www-authenticate')).toBe('Bearer realm="latchkey"')
    expect(reply.headers.get('x-request-id')).toBeTruthy()
  }

  // `optional` routes take a password instead; their own tests cover that case.
  if (route.auth !== 'optional')
    it('answers 401 without a credential, whatever the body', async () => {
      const body = route.method === 'GET' ? undefined : { junk: true }
      await expect401(await app.api(route.method, pathOf(route.path), { body }))
    })

  it('answers 401 for a malformed Authorization header', async () => {
    for (const authorization of ['Basic YTpi', 'Bearer', 'Bearer a b', app.admin.token]) {
      await expect401(
        await app.api(route.method, pathOf(route.path), { headers: { authorization } }),
      )
    }
  })

  it.each([
    'garbage',
    'garbage JWT',
    'JWT-shaped',
    'bad checksum',
    'wrong secret',
    'unknown id',
    'unknown user',
    'unknown team',
    'expired',
    'revoked',
  ])('answers the same 401 for a %s token, in the header and in the query', async (kind) => {
    const token = bad[kind] ?? ''
    await expect401(await app.api(route.method, pathOf(route.path), { token }))
    await expect401(await app.api(route.method, pathOf(route.path), { token, tokenInQuery: true }))
  })
})

it('covers every route but the public ones, which answer without a credential', async () => {
  // A row that lost its `auth` would leave this suite silently: name the public ones.
  const key = (r: { method: string; path: string }) => `${r.method} ${r.path}`
  const publicRoutes = routeList.filter((route) => route.auth === 'none')
  expect(publicRoutes.map(key).sort()).toEqual([
    'GET /.well-known/jwks.json',
    'GET /healthz',
    'GET /openapi.json',
    'POST /v1/teams/{team}/service_token',
  ])
  expect(protectedRoutes.length + publicRoutes.length).toBe(routeList.length)
  expect(protectedRoutes.map(key)).toContain('PUT /v1/teams/{team}/projects/{project}')
  const openapi = await app.api('GET', '/openapi.json')
  expect(openapi.status).toBe(200)
  expect(openapi.body.paths['/api/tokens']).toBeDefined()
  const jwks = await app.api('GET', '/.well-known/jwks.json')
  expect(jwks.status).toBe(200)
  expect(jwks.body.keys.length).toBeGreaterThan(0)
})
