import { ScanCommand } from '@aws-sdk/lib-dynamodb'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RouteSpec, routeList } from '../../shared/routes.js'
import { startTestApp } from '../support/app.js'
import { rawRequest } from '../support/http.js'

/**
 * Property-based fuzzing of every route of the table over HTTP, against the real
 * local server on DynamoDB Local (issue 16): random paths, queries, headers and
 * bodies, some built from each route's own schema fields, some plain garbage. For
 * every answer: never a 5xx, always an X-Request-Id, every error in the contract's
 * body, and a refused request leaves the table as it was. `FUZZ_RUNS` sets how many
 * requests (default 1000, within 80 s), `FUZZ_SEED` replays a failing run.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 1000)
/** On a busy machine the run stops early (passing, with the count reported) rather than time out. */
const TIME_LIMIT_MS = 80_000
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31

let app: Awaited<ReturnType<typeof startTestApp>>
const credentials: Record<string, string> = {}
const stats = { requests: 0, byClass: {} as Record<string, number>, serverErrors: 0 }

/** JSON with every object's keys sorted, so equal items always compare equal. */
const stableJson = (value: unknown): string =>
  Array.isArray(value)
    ? `[${value.map(stableJson).join(',')}]`
    : value !== null && typeof value === 'object'
      ? `{${Object.keys(value)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
          .join(',')}}`
      : JSON.stringify(value)

/**
 * Every item of the table, whole, but sign-in attempt counters and `lastUsed`: counting
 * a refused password *is* the point of those (lockout), and authenticating a request
 * records its credential's use whatever the answer. Nothing else may change on a 4xx.
 */
async function snapshot(): Promise<string> {
  const items: string[] = []
  let start: Record<string, unknown> | undefined
  do {
    const page = await app.db.send(
      new ScanCommand({ TableName: app.tableName, ConsistentRead: true, ExclusiveStartKey: start }),
    )
    for (const { lastUsed: _used, ...item } of page.Items ?? [])
      if (!String(item.SK).startsWith('SIGNIN#')) items.push(stableJson(item))
    start = page.LastEvaluatedKey
  } while (start)
  return items.sort().join('\n')
}

beforeAll(async () => {
  app = await startTestApp('fz')
  const admin = app.admin.token
  const member = await app.addUser('fz', 'mia', 'member')
  await app.api('POST', '/v1/teams/fz/projects', { token: admin, body: { name: 'p' } })
  const enrollment = await app.api('POST', '/v1/teams/fz/projects/p/server_enrollment_tokens', {
    token: admin,
    body: { description: 'fuzz', max_uses: 1_000_000 },
  })
  const enrolled = await app.api('POST', '/v1/teams/fz/projects/p/servers', {
    token: enrollment.body.token,
    body: { hostname: 'h' },
  })
  // Service JWTs keep working when the fuzzer deletes the personal tokens (delete-all).
  const jwt = async (token: string, id: string) =>
    (
      await app.api('POST', '/v1/teams/fz/service_token', {
        body: { key_id: id, key_secret: token },
      })
    ).body.bearer_token as string
  credentials.adminJwt = await jwt(admin, '1')
  credentials.memberJwt = await jwt(member, '1')
  credentials.admin = admin
  credentials.enrollment = enrollment.body.token
  credentials.server = enrolled.body.server_token
  samples.enrollmentTokenId = enrollment.body.id
  samples.serverId = enrolled.body.server.id
}, 60_000)

afterAll(async () => {
  console.log(
    `fuzz: ${stats.requests} requests (seed ${SEED}), by status class ${JSON.stringify(stats.byClass)}, 5xx: ${stats.serverErrors}`,
  )
  await app?.close()
})

const samples: Record<string, string> = { team: 'fz', project: 'p', tokenId: '1' }
const decoys: Record<string, string> = {
  team: 'fz',
  project: 'decoy',
  tokenId: '424242',
  enrollmentTokenId: '0193a0c0-0000-7000-8000-00000000dec0',
  serverId: '0193a0c0-0000-7000-8000-00000000dec0',
}

/** Text of every kind: controls, lone surrogates, emoji, percent signs, dots. */
const nastyText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({
    unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
    maxLength: 20,
  }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    '.',
    '..',
    '%2e%2e',
    '%00',
    '%zz',
    '',
    ' ',
    '\u0000',
    '\u001b[31m',
    'a'.repeat(300),
    '__proto__',
    'constructor',
  ),
)

/** Percent-encodes UTF-8 bytes (a lone surrogate becomes U+FFFD; encodeURIComponent throws on it). */
const percentEncode = (text: string) =>
  [...Buffer.from(text, 'utf8')]
    .map((byte) =>
      /[A-Za-z0-9._~-]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('')

/** A path parameter: its working value, something of the right shape, or anything. */
const param = (name: string) =>
  fc.oneof(
    // Read when generated: the ids exist only once beforeAll has made them.
    { weight: 10, arbitrary: fc.constant(name).map((n) => samples[n] ?? 'x') },
    { weight: 2, arbitrary: fc.uuid().map((id) => id.toLowerCase()) },
    { weight: 1, arbitrary: fc.integer({ min: -1, max: 2 ** 60 }).map(String) },
    { weight: 3, arbitrary: nastyText.map((text) => percentEncode(text)) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '.',
        '..',
        '%2e',
        '%2E%2e',
        '.%2e',
        '%2F',
        'a/b',
        '%ED%A0%80',
        '%C0%AE',
        '%FF',
      ),
    },
  )

/** Mostly the route's working path (so bodies reach the handler), else a mutated one. */
const pathFor = (route: RouteSpec) => {
  const names = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name = '']) => name)
  const mutated = fc
    .tuple(
      fc.tuple(...names.map((name) => param(name))),
      fc.constantFrom('', '', '', '/', '//', '/x', '/..'),
      fc.constantFrom('', '', '', '/', '//'),
    )
    .map(([values, suffix, prefix]) => {
      let i = 0
      return prefix + route.path.replace(/\{\w+\}/g, () => values[i++] ?? '') + suffix
    })
  // A DELETE aims at ids that don't exist, so the fixtures every other request needs survive.
  const values = route.method === 'DELETE' ? decoys : samples
  const working = fc
    .constant(route.path)
    .map((path) => path.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? 'x'))
  return fc.oneof({ weight: 3, arbitrary: working }, { weight: 2, arbitrary: mutated })
}

/** Numbers and literals JSON.parse reads lossily or DynamoDB can't hold. */
const nastyNumber = fc.constantFrom(
  '1e999',
  '-1e-400',
  '9007199254740993',
  '-0',
  '1e-200',
  '0.1',
  '1e308',
  '12345678901234567890123',
)

const scalar = fc.oneof(
  nastyNumber,
  nastyText.map((t) => JSON.stringify(t)),
  fc.constantFrom('true', 'null', '{}', '[]'),
)
/** Objects whose keys and values are the nasty ones, as free-form fields (instance_details) hold. */
const nastyKey = fc.oneof(
  nastyText,
  fc.constantFrom('', '__proto__', 'constructor', 'prototype', 'a\u0000'),
)
const nastyObject = fc
  .array(fc.tuple(nastyKey, scalar), { maxLength: 4 })
  .map((pairs) => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`)

const jsonValue = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: nastyObject },
  { weight: 2, arbitrary: nastyText.map((t) => JSON.stringify(t)) },
  { weight: 1, arbitrary: nastyNumber },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0, max: 40 }).map((d) => `${'['.repeat(d)}1${']'.repeat(d)}`),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0, max: 40 }).map((d) => `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`),
  },
)

/** A value each known field accepts, so a mutation of one field reaches the code behind it. */
const validValue: Record<string, () => unknown> = {
  name: () => `fz-${stats.requests}`,
  tokenName: () => `fz-${stats.requests}`,
  expiresInDays: () => 1,
  username: () => 'mia',
  password: () => 'not the password',
  accountName: () => 'fz',
  key_id: () => '1',
  key_secret: () => credentials.admin,
  description: () => 'fuzz',
  expires_in_seconds: () => 60,
  max_uses: () => 1,
  hostname: () => `host-${stats.requests}`,
  os: () => 'linux',
  canonical_name: () => 'c',
  instance_details: () => ({ region: 'eu-west-1' }),
}

/**
 * A JSON object of the route's own fields, valid but for a few replaced by nasty
 * values (or joined by strangers), written by hand so keys can repeat.
 */
const bodyFromSchema = (route: RouteSpec) => {
  const schema = route.body?.schema as { properties?: Record<string, unknown> } | undefined
  const fields = Object.keys(schema?.properties ?? {})
  const key = fc.oneof(
    { weight: 5, arbitrary: fields.length ? fc.constantFrom(...fields) : fc.constant('name') },
    { weight: 1, arbitrary: nastyText },
  )
  return fc
    .tuple(
      fc.subarray(fields),
      fc.array(fc.tuple(key, fc.oneof(jsonValue, nastyObject)), { maxLength: 3 }),
    )
    .map(([kept, nasty]) => {
      const valid = kept.map(
        (field) => [field, JSON.stringify(validValue[field]?.() ?? 'x')] as const,
      )
      const pairs = [...valid.filter(([field]) => !nasty.some(([k]) => k === field)), ...nasty]
      return `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`
    })
}

const bodyFor = (route: RouteSpec) =>
  fc.oneof(
    { weight: 10, arbitrary: bodyFromSchema(route) },
    { weight: 1, arbitrary: jsonValue },
    { weight: 1, arbitrary: fc.string({ maxLength: 100 }) },
    {
      weight: 1,
      arbitrary: fc
        .dictionary(
          fc.constantFrom('username', 'password', 'accountName', 'tokenName', 'x'),
          nastyText,
          { maxKeys: 5 },
        )
        .map((fields) => new URLSearchParams(fields).toString()),
    },
    { weight: 1, arbitrary: fc.constant(undefined) },
  )

const query = fc
  .dictionary(
    fc.constantFrom('count', 'offset', 'token', 'tokenName', 'contains', 'x'),
    nastyText,
    { maxKeys: 3 },
  )
  .map((entries) => {
    const text = Object.entries(entries)
      .map(([k, v]) => `${k}=${percentEncode(v)}`)
      .join('&')
    return text ? `?${text}` : ''
  })

const headerSafe = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 60,
})

/** Which credential a route's callers hold: mostly the right one, sometimes another or garbage. */
const ownCredential: Record<RouteSpec['auth'], string[]> = {
  none: ['admin'],
  user: ['adminJwt', 'memberJwt', 'admin'],
  optional: ['adminJwt', 'admin'],
  enrollment: ['enrollment'],
  server: ['server'],
  github: ['admin'], // unsigned: the signature suite is in secret-scanning.test.ts
}

const headersFor = (route: RouteSpec) =>
  fc.record(
    {
      authorization: fc.oneof(
        {
          weight: 6,
          arbitrary: fc
            .constantFrom(...ownCredential[route.auth])
            .map((who) => `Bearer ${credentials[who]}`),
        },
        {
          weight: 1,
          arbitrary: fc
            .constantFrom('adminJwt', 'memberJwt', 'admin', 'enrollment', 'server')
            .map((who) => `Bearer ${credentials[who]}`),
        },
        { weight: 1, arbitrary: headerSafe.map((v) => `Bearer ${v}`) },
        { weight: 1, arbitrary: headerSafe },
      ),
      'content-type': fc.constantFrom(
        'application/json',
        'application/json',
        'application/json; charset=utf-8',
        'application/x-www-form-urlencoded',
        'text/plain',
        'application/merge-patch+json',
        'multipart/form-data; boundary=x',
      ),
      'x-forwarded-proto': fc.constantFrom('https', 'http', 'gopher'),
      'x-extra': headerSafe,
    },
    { requiredKeys: [] },
  )

const request = fc.oneof(
  ...routeList.map((route) => ({
    // Routes that take a body have more to get wrong.
    weight: route.body ? 3 : 1,
    arbitrary: fc.record({
      method: fc.oneof(
        { weight: 6, arbitrary: fc.constant(route.method) },
        {
          weight: 1,
          arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
        },
      ),
      path: pathFor(route),
      query,
      headers: headersFor(route),
      body: bodyFor(route),
    }),
  })),
  fc.record({
    method: fc.constantFrom('GET', 'POST', 'DELETE'),
    path: fc.webPath(),
    query,
    headers: headersFor(routeList[0] as RouteSpec),
    body: fc.constant(undefined),
  }),
)

const recent: string[] = []

describe('fuzzing every route', () => {
  it('never answers 5xx, always in the contract, and changes nothing when it refuses', async () => {
    let before = await snapshot()
    await fc.assert(
      fc.asyncProperty(request, async ({ method, path, query: search, headers: sent, body }) => {
        const reply = await rawRequest(app.url, method, `${path || '/'}${search}`, {
          headers: Object.fromEntries(
            Object.entries(sent).filter(([, v]) => v !== undefined),
          ) as Record<string, string>,
          ...(body !== undefined && { body }),
        })
        stats.requests++
        const statusClass = `${Math.floor(reply.status / 100)}xx`
        stats.byClass[statusClass] = (stats.byClass[statusClass] ?? 0) + 1
        if (reply.status >= 500) stats.serverErrors++
        const after = await snapshot()
        const label = `${method} ${path}${search} -> ${reply.status} ${reply.text.slice(0, 300)}`
        recent.push(`${label} body=${body}`)
        if (recent.length > 5) recent.shift()
        expect(reply.status, label).toBeLessThan(500)
        // The web console's page (`/`) is not an API answer.
        const raw = (path || '/').split('?')[0] ?? ''
        if (method === 'GET' && /^\/(index\.html)?$/.test(raw)) {
          expect(reply.status, label).toBe(200)
          return
        }
        expect(reply.headers.get('x-request-id'), label).toMatch(/^[0-9a-f-]{36}$/)
        if (reply.status >= 400) {
          expect(reply.body, label).toMatchObject({
            code: expect.stringMatching(/^[a-z_]+$/),
            message: expect.any(String),
          })
          if (reply.body.errors !== undefined)
            expect(Array.isArray(reply.body.errors), label).toBe(true)
          expect(
            after,
            `a refused request changed the table; last requests:\n${recent.join('\n')}`,
          ).toBe(before)
        }
        before = after
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true, interruptAfterTimeLimit: TIME_LIMIT_MS },
    )
    expect(stats.serverErrors).toBe(0)
  }, 110_000)
})
