import { ScanCommand } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp } from '../support/app.js'

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
