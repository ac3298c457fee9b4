import { ScanCommand } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { routeList } from '../../shared/routes.js'
import { startTestApp } from '../support/app.js'
import { parseRawResponse, rawExchange, rawRequest } from '../support/http.js'

/** Issue 16: bad input is a 4xx naming the problem, never a 500, and writes nothing. */
let app: Awaited<ReturnType<typeof startTestApp>>
let admin: string

const base = '/v1/teams/acme/projects'

const itemCount = async () => {
  const { Count = 0 } = await app.db.send(
    new ScanCommand({ TableName: app.tableName, Select: 'COUNT', ConsistentRead: true }),
  )
  return Count
}

const expectError = (
  reply: { status: number; headers: Headers; body: { code?: string; message?: string } },
  status: number,
) => {
  expect(reply.status).toBe(status)
  expect(reply.headers.get('x-request-id')).toMatch(/\S/)
  expect(reply.headers.get('content-type')).toMatch(/^application\/json/)
  expect(reply.body).toMatchObject({ code: expect.any(String), message: expect.any(String) })
}

beforeAll(async () => {
  app = await startTestApp('acme')
  admin = app.admin.token
  await app.api('POST', base, { token: admin, body: { name: 'fleet' } })
})
afterAll(() => app?.close())

const enrollmentToken = async () => {
  const reply = await app.api('POST', `${base}/fleet/server_enrollment_tokens`, {
    token: admin,
    body: { description: 'agents' },
  })
  expect(reply.status).toBe(201)
  return reply.body.token as string
}

const nested = (depth: number): unknown => (depth === 0 ? 1 : { a: nested(depth - 1) })

describe('instance_details', () => {
  it.each([
    ['a number too large for a double (1e999)', '{"n": 1e999}', 'instance_details.n'],
    ['a number too small for DynamoDB (-1e-400)', '{"n": -1e-400}', 'instance_details.n'],
    ['a number below DynamoDB range (1e-200)', '{"n": 1e-200}', 'instance_details.n'],
    ['an integer beyond 2^53', '{"n": 9007199254740993}', 'instance_details.n'],
    ['nesting 9 levels deep', JSON.stringify(nested(9)), 'instance_details'],
    ['nesting 64 levels deep', JSON.stringify(nested(64)), 'instance_details.a.a.a'],
    ['an empty key', '{"": 1}', 'instance_details'],
    ['a key named constructor', '{"constructor": 1}', 'instance_details'],
    ['a key named __proto__', '{"__proto__": {"x": 1}}', 'instance_details'],
    ['a key named prototype', '{"prototype": 1}', 'instance_details'],
    ['a key with a control character', '{"a\\u0000b": 1}', 'instance_details'],
    ['a string with a control character', '{"a": "x\\u001b[31m"}', 'instance_details.a'],
  ])('refuses %s with 400 naming it, writing nothing', async (_, details, field) => {
    const token = await enrollmentToken()
    const before = await itemCount()
    const reply = await app.api('POST', `${base}/fleet/servers`, {
      token,
      rawBody: `{"hostname": "web-01", "instance_details": ${details}}`,
      headers: { 'content-type': 'application/json' },
    })
    expectError(reply, 400)
    expect(reply.body.code).toBe('invalid_request')
    const fields: string[] = reply.body.errors.map((e: { description: string }) => e.description)
    expect(
      fields.some((f) => f.startsWith(field)),
      JSON.stringify(reply.body),
    ).toBe(true)
    expect(reply.body.message).toContain(field)
    expect(await itemCount()).toBe(before)
  })

  it('keeps what DynamoDB can store exactly: nested objects, arrays, safe numbers', async () => {
    const token = await enrollmentToken()
    const details = {
      region: 'eu-west-1',
      cpus: 8,
      load: -0.125,
      tiny: 1e-120,
      big: Number.MAX_SAFE_INTEGER,
      tags: ['a', 'b', null, true],
      nic: { eth0: { mtu: 9001, addrs: ['10.0.0.1'] } },
      deep: nested(7),
    }
    const reply = await app.api('POST', `${base}/fleet/servers`, {
      token,
      body: { hostname: 'web-02', instance_details: details },
    })
    expect(reply.status).toBe(201)
    const fetched = await app.api('GET', `${base}/fleet/servers/${reply.body.server.id}`, {
      token: admin,
    })
    expect(fetched.body.instance_details).toEqual(details)
  })

  it('refuses details larger than 8 KB', async () => {
    const token = await enrollmentToken()
    const details = Object.fromEntries([...'abcdefghi'].map((key) => [key, key.repeat(1000)]))
    const reply = await app.api('POST', `${base}/fleet/servers`, {
      token,
      body: { hostname: 'web-03', instance_details: details },
    })
    expectError(reply, 400)
    expect(reply.body.message).toBe(
      'Invalid request body: instance_details must be at most 8192 characters as JSON.',
    )
  })
})

describe('paths are routed exactly as sent', () => {
  const raw = (method: string, path: string, token = admin) =>
    rawRequest(app.url, method, path, { headers: { authorization: `Bearer ${token}` } })

  it.each([
    ['GET', '//'],
    ['DELETE', '//%00'],
    ['GET', '//anything/api/tokens'],
    ['GET', '//api/tokens'],
    ['GET', '/api//tokens'],
    ['GET', '/api/tokens//'],
    ['GET', '/api/%74okens'],
    ['GET', '/v1/teams/acme/projects/fleet/servers/%2e%2e/%2e%2e'],
    ['GET', '/api/tokens/../tokens'],
    ['DELETE', '/v1/teams/acme/projects/fleet/%zz'],
  ])('%s %s is 404 in the JSON error body', async (method, path) => {
    const reply = await raw(method, path)
    expectError(reply, 404)
    expect(reply.body.code).toBe('resource_does_not_exist')
  })

  it('ignores one trailing slash, as API Gateway does', async () => {
    expect((await raw('GET', '/api/tokens/')).status).toBe(200)
  })

  it('never resolves an encoded dot segment: DELETE .../servers/%2e%2e deletes no project', async () => {
    await app.api('POST', base, { token: admin, body: { name: 'victim' } })
    const before = await itemCount()
    const reply = await raw('DELETE', `${base}/victim/servers/%2e%2e`)
    expectError(reply, 400)
    expect(reply.body.errors).toEqual([
      { description: 'serverId', message: 'may not be "." or ".."' },
    ])
    expect((await app.api('GET', `${base}/victim`, { token: admin })).status).toBe(200)
    expect(await itemCount()).toBe(before)
  })

  const samples: Record<string, string> = {
    team: 'acme',
    project: 'fleet',
    tokenId: '1',
    enrollmentTokenId: '0193a0c0-0000-7000-8000-000000000000',
    serverId: '0193a0c0-0000-7000-8000-000000000000',
  }
  const cases = routeList.flatMap((route) =>
    [...route.path.matchAll(/\{(\w+)\}/g)].flatMap(([, param = '']) =>
      ['.', '..', '%2e', '%2E%2e', '.%2e'].map(
        (dots) =>
          [
            `${route.method} ${route.path}`,
            param,
            dots,
            route.method,
            route.path.replace(/\{(\w+)\}/g, (_, name: string) =>
              name === param ? dots : (samples[name] ?? 'x'),
            ),
          ] as const,
      ),
    ),
  )

  it('covers every id-bearing route of the table', () => {
    const routesWithIds = routeList.filter((route) => route.path.includes('{'))
    expect(new Set(cases.map(([route]) => route)).size).toBe(routesWithIds.length)
    for (const name of Object.keys(samples))
      expect(cases.some(([, param]) => param === name)).toBe(true)
  })

  it.each(cases)(
    '%s: %s = %s is 400, nothing changed',
    async (_route, param, _dots, method, path) => {
      const before = await itemCount()
      const reply = await raw(method, path)
      expectError(reply, 400)
      expect(reply.body.errors).toEqual([{ description: param, message: 'may not be "." or ".."' }])
      expect(await itemCount()).toBe(before)
    },
  )
})

describe('JSON bodies', () => {
  it('refuses a duplicate key with 400 naming it (a proxy could read the other value)', async () => {
    const reply = await app.api('POST', '/api/tokens', {
      token: admin,
      rawBody: '{"name": "a", "name": "b"}',
      headers: { 'content-type': 'application/json' },
    })
    expectError(reply, 400)
    expect(reply.body).toEqual({
      code: 'invalid_request',
      message: 'Invalid request body: name is given more than once.',
      errors: [{ description: 'name', message: 'is given more than once' }],
    })
  })
})

describe('names and free text', () => {
  const json = (text: string) => ({
    rawBody: text,
    headers: { 'content-type': 'application/json' },
  })

  it.each([
    ['a NUL in a token name', '/api/tokens', '{"name": "a\\u0000b"}', 'name'],
    [
      'only a control character (the old \\S matched it)',
      '/api/tokens',
      '{"name": "\\u0001"}',
      'name',
    ],
    ['a C1 control (NEL)', '/api/tokens', '{"name": "a\\u0085b"}', 'name'],
    ['DEL', '/api/tokens', '{"name": "a\\u007fb"}', 'name'],
    ['a lone high surrogate', '/api/tokens', '{"name": "a\\ud800b"}', 'name'],
    ['a lone low surrogate', '/api/tokens', '{"name": "\\udc00"}', 'name'],
    [
      'a terminal escape in os',
      `${base}/fleet/servers`,
      '{"hostname": "h", "os": "\\u001b[31mlinux"}',
      'os',
    ],
    ['a control in hostname', `${base}/fleet/servers`, '{"hostname": "h\\u0007"}', 'hostname'],
    [
      'a control in a description',
      `${base}/fleet/server_enrollment_tokens`,
      '{"description": "x\\u0001"}',
      'description',
    ],
  ])('refuses %s (400 naming the field, nothing written)', async (_, path, body, field) => {
    const token = path.endsWith('/servers') ? await enrollmentToken() : admin
    const before = await itemCount()
    const reply = await app.api('POST', path, { token, ...json(body) })
    expectError(reply, 400)
    expect(reply.body.errors).toContainEqual({
      description: field,
      message: 'must be text without control characters, not only spaces',
    })
    expect(await itemCount()).toBe(before)
  })

  it('refuses tokenName=%01abc in a form body and in the query', async () => {
    const before = await itemCount()
    const form = await app.api('POST', '/tokens', {
      token: admin,
      rawBody: 'tokenName=%01abc',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expectError(form, 400)
    expect(form.body.errors).toContainEqual(expect.objectContaining({ description: 'tokenName' }))
    const query = await app.api('POST', '/tokens?tokenName=%01abc', { token: admin })
    expectError(query, 400)
    expect(query.body.errors).toContainEqual(expect.objectContaining({ description: 'tokenName' }))
    expect(await itemCount()).toBe(before)
  })

  it('accepts text with emoji (paired surrogates) and accents', async () => {
    const reply = await app.api('POST', '/api/tokens', {
      token: admin,
      body: { name: 'déjà vu 🔑' },
    })
    expect(reply.status).toBe(200)
    expect(reply.body.token.name).toBe('déjà vu 🔑')
  })

  it('normalises token names to NFC, so two that look the same cannot both exist', async () => {
    const composed = await app.api('POST', '/api/tokens', {
      token: admin,
      body: { name: 'caf\u00e9' },
    })
    expect(composed.status).toBe(200)
    const decomposed = await app.api('POST', '/api/tokens', {
      token: admin,
      body: { name: 'cafe\u0301' },
    })
    expectError(decomposed, 409)
    const viaGrant = await app.api('POST', '/tokens', {
      token: admin,
      body: { tokenName: 'cafe\u0301' },
    })
    expectError(viaGrant, 409)
    const stored = await app.api('POST', '/api/tokens', {
      token: admin,
      body: { name: 'nai\u0308ve' },
    })
    expect(stored.body.token.name).toBe('na\u00efve')
  })
})

describe('malformed HTTP on the local server', () => {
  it.each([
    ['a NUL in the path', 'GET /api/to\0kens HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a space in a header name', 'GET /api/tokens HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n'],
    [
      'a control character in a header value',
      'GET /api/tokens HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n',
    ],
    [
      'headers over 16 KB',
      `GET /api/tokens HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    ],
    [
      'Content-Length with Transfer-Encoding (smuggling)',
      'POST /api/tokens HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    [
      'two Content-Lengths',
      'POST /api/tokens HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
    ],
    [
      'a bad chunk size',
      'POST /api/tokens HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    ],
    ['not HTTP at all', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n'],
  ])('answers %s with 400 in the JSON error body and an X-Request-Id', async (_, bytes) => {
    const before = await itemCount()
    const reply = parseRawResponse(await rawExchange(app.url, Buffer.from(bytes, 'latin1')))
    expect(reply.status).toBe(400)
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/)
    expect(reply.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(reply.headers.get('connection')).toBe('close')
    expect(JSON.parse(reply.body)).toMatchObject({
      code: 'invalid_request',
      message: expect.any(String),
    })
    expect(await itemCount()).toBe(before)
  })
})
