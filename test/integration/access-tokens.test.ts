import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { keys } from '../../shared/data/keys.js'
import { setLogLevel } from '../../shared/log.js'
import { startTestApp } from '../support/app.js'

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

let app: Awaited<ReturnType<typeof startTestApp>>
const output: string[] = []
const issued: string[] = []

beforeAll(async () => {
  // Everything the service logs during this file, to check no secret is ever in it.
  const write = process.stdout.write.bind(process.stdout)
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk, ...rest) => {
    output.push(String(chunk))
    return write(chunk, ...(rest as []))
  })
  setLogLevel('debug')
  app = await startTestApp()
  issued.push(app.admin.token)
})

afterAll(async () => {
  await app?.close()
  vi.restoreAllMocks()
})

async function create(token: string, body: unknown) {
  const reply = await app.api('POST', '/api/tokens', { token, body })
  if (reply.status === 200) issued.push(reply.body.accessKey)
  return reply
}

describe('POST /api/tokens', () => {
  it('answers 200 with the secret once and the Tower AccessToken shape', async () => {
    const reply = await create(app.admin.token, { name: 'API access token' })
    expect(reply.status).toBe(200)
    expect(reply.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(reply.headers.get('cache-control')).toBe('no-store')
    expect(reply.body.accessKey).toMatch(/^lk_[0-9A-Za-z]+_[0-9A-Za-z]{49}$/)
    expect(reply.body.token).toEqual({
      id: expect.any(Number),
      token: null,
      name: 'API access token',
      lastUsed: null,
      dateCreated: expect.stringMatching(ISO_MS),
      basicAuth: null,
      expiresAt: null,
      scopes: null,
      meta: null,
      rateLimit: null,
    })
    // The new token works at once.
    const list = await app.api('GET', '/api/tokens', { token: reply.body.accessKey })
    expect(list.status).toBe(200)
  })

  it('gives per-user increasing integer ids', async () => {
    const a = await create(app.admin.token, { name: 'ids a' })
    const b = await create(app.admin.token, { name: 'ids b' })
    expect(b.body.token.id).toBeGreaterThan(a.body.token.id)
    const other = await app.addUser('acme', 'ids-user')
    issued.push(other)
    const first = await create(other, { name: 'ids a' })
    expect(first.status).toBe(200)
    expect(first.body.token.id).toBe(2) // that user's own sequence: 'first' was 1
  })

  it('sets expiresAt from expiresInDays', async () => {
    const before = Date.now()
    const reply = await create(app.admin.token, { name: 'expiring', expiresInDays: 30 })
    expect(reply.status).toBe(200)
    const expires = Date.parse(reply.body.token.expiresAt)
    expect(expires - before).toBeGreaterThanOrEqual(30 * 86_400_000)
    expect(expires - before).toBeLessThan(30 * 86_400_000 + 60_000)
  })

  it('answers 409 for a name the user already has, and frees it after delete', async () => {
    const first = await create(app.admin.token, { name: 'dupe' })
    const second = await create(app.admin.token, { name: 'dupe' })
    expect(second.status).toBe(409)
    expect(second.body).toEqual({
      code: 'resource_already_exists',
      message: expect.stringContaining('dupe'),
      errors: [],
    })
    await app.api('DELETE', `/api/tokens/${first.body.token.id}`, { token: app.admin.token })
    expect((await create(app.admin.token, { name: 'dupe' })).status).toBe(200)
  })

  it('lets exactly one of 20 concurrent creates of one name win', async () => {
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => create(app.admin.token, { name: 'race' })),
    )
    const statuses = replies.map((r) => r.status).sort()
    expect(statuses.filter((s) => s === 200)).toHaveLength(1)
    expect(statuses.filter((s) => s === 409)).toHaveLength(19)
    const list = await app.api('GET', '/api/tokens', { token: app.admin.token })
    expect(list.body.tokens.filter((t: { name: string }) => t.name === 'race')).toHaveLength(1)
  })

  it.each([
    [{}, 'name', 'is required'],
    [{ name: '' }, 'name', 'must NOT have fewer than 1 characters'],
    [{ name: 'x'.repeat(51) }, 'name', 'must NOT have more than 50 characters'],
    [{ name: 1 }, 'name', 'must be string'],
    [{ name: 'ok', extra: true }, 'extra', 'is not a known field'],
    [{ name: 'ok', expiresInDays: 0 }, 'expiresInDays', 'must be >= 1'],
    [{ name: 'ok', expiresInDays: 3651 }, 'expiresInDays', 'must be <= 3650'],
    [{ name: 'ok', expiresInDays: '5' }, 'expiresInDays', 'must be integer'],
    [{ name: 'tab\there' }, 'name', 'must be text without control characters, not only spaces'],
    [[], 'body', 'must be an object'],
  ])('answers 400 naming the field for %j', async (body, field, message) => {
    const reply = await app.api('POST', '/api/tokens', { token: app.admin.token, body })
    expect(reply.status).toBe(400)
    expect(reply.body.code).toBe('invalid_request')
    expect(reply.body.errors).toContainEqual({ description: field, message })
  })

  it('counts name length in characters, not UTF-16 units', async () => {
    const reply = await create(app.admin.token, { name: '🔑'.repeat(50) })
    expect(reply.status).toBe(200)
  })

  it('answers 400 for malformed JSON and a missing body, 415 for other types, 413 when huge', async () => {
    const malformed = await app.api('POST', '/api/tokens', {
      token: app.admin.token,
      rawBody: '{"name":',
      headers: { 'content-type': 'application/json' },
    })
    expect(malformed.status).toBe(400)
    expect(malformed.body).toEqual({
      code: 'invalid_request',
      message: 'The request body is not valid JSON.',
      errors: [],
    })

    const empty = await app.api('POST', '/api/tokens', { token: app.admin.token })
    expect(empty.status).toBe(400)
    expect(empty.body.errors).toEqual([{ description: 'body', message: 'is required' }])

    const form = await app.api('POST', '/api/tokens', {
      token: app.admin.token,
      rawBody: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(form.status).toBe(415)
    expect(form.body.code).toBe('unsupported_content_type')
    expect(form.body.errors).toEqual([])

    const huge = await app.api('POST', '/api/tokens', {
      token: app.admin.token,
      body: { name: 'x'.repeat(70_000) },
    })
    expect(huge.status).toBe(413)
    expect(huge.body.code).toBe('payload_too_large')
    expect(huge.body.errors).toEqual([])
  })
})

describe('GET /api/tokens', () => {
  it("lists only the caller's tokens, by id, with token null and lastUsed recorded", async () => {
    const other = await app.addUser('acme', 'lister')
    issued.push(other)
    await create(other, { name: 'b' })
    await create(other, { name: 'a' })
    const reply = await app.api('GET', '/api/tokens', { token: other })
    expect(reply.status).toBe(200)
    expect(reply.body.tokens.map((t: { name: string }) => t.name)).toEqual(['first', 'b', 'a'])
    const ids = reply.body.tokens.map((t: { id: number }) => t.id)
    expect(ids).toEqual([...ids].sort((x, y) => x - y))
    for (const token of reply.body.tokens) expect(token.token).toBeNull()
    // The token in use was just used; the others never were.
    expect(reply.body.tokens[0].lastUsed).toMatch(ISO_MS)
    expect(reply.body.tokens[1].lastUsed).toBeNull()
  })

  it('accepts the token as ?token= as well as Bearer', async () => {
    const reply = await app.api('GET', '/api/tokens', {
      token: app.admin.token,
      tokenInQuery: true,
    })
    expect(reply.status).toBe(200)
    expect(reply.body.tokens.length).toBeGreaterThan(0)
  })

  it('writes lastUsed at most once a minute', async () => {
    const token = (await create(app.admin.token, { name: 'touch' })).body
    const key = {
      PK: 'TEAM#acme#USER#admin',
      SK: `PAT#${String(token.token.id).padStart(16, '0')}`,
    }
    await app.api('GET', '/api/tokens', { token: token.accessKey })
    const first = (await app.db.send(new GetCommand({ TableName: app.tableName, Key: key }))).Item
      ?.lastUsed
    expect(first).toMatch(ISO_MS)
    await app.api('GET', '/api/tokens', { token: token.accessKey })
    const second = (await app.db.send(new GetCommand({ TableName: app.tableName, Key: key }))).Item
      ?.lastUsed
    expect(second).toBe(first)
  })

  it('writes it once per minute whatever the callers: a burst across instances lands one write, quietly', async () => {
    // As Lambda instances would, each with its own process (no in-process sharing): the
    // stored lastUsed's condition is the dedupe, and the losers' refusals are answers.
    const { touchAccessToken } = await import('../../shared/data/access-tokens.js')
    const made = (await create(app.admin.token, { name: 'burst' })).body
    const id = made.token.id as number
    const start = Date.now()
    const burst = (at: number) =>
      Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          touchAccessToken('acme', 'admin', id, new Date(at + i), 60_000),
        ),
      )
    const logsBefore = output.length
    const first = await burst(start)
    expect(first.filter(Boolean)).toHaveLength(1)
    const key = keys.accessToken('acme', 'admin', id)
    const stored = async () =>
      (
        await app.db.send(
          new GetCommand({ TableName: app.tableName, Key: key, ConsistentRead: true }),
        )
      ).Item?.lastUsed
    expect(await stored()).toBe(new Date(start + first.indexOf(true)).toISOString())
    // Within the minute none writes; a minute on, one does again.
    expect((await burst(start + 30_000)).filter(Boolean)).toHaveLength(0)
    expect((await burst(start + 60_000 + 50)).filter(Boolean)).toHaveLength(1)
    // And over HTTP: a burst of requests that lose the race answers 200, logging no warning.
    const replies = await Promise.all(
      Array.from({ length: 50 }, () => app.api('GET', '/api/tokens', { token: made.accessKey })),
    )
    expect(replies.map((reply) => reply.status)).toEqual(replies.map(() => 200))
    const levels = output
      .slice(logsBefore)
      .flatMap((line) => line.split('\n'))
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line).level)
    expect(levels).not.toContain('warn')
    expect(levels).not.toContain('error')
  })
})

describe('DELETE /api/tokens/{tokenId}', () => {
  it("deletes one of the caller's tokens, which then authenticates no more", async () => {
    const made = await create(app.admin.token, { name: 'doomed' })
    const reply = await app.api('DELETE', `/api/tokens/${made.body.token.id}`, {
      token: app.admin.token,
    })
    expect(reply.status).toBe(204)
    expect(reply.text).toBe('')
    expect((await app.api('GET', '/api/tokens', { token: made.body.accessKey })).status).toBe(401)
    const again = await app.api('DELETE', `/api/tokens/${made.body.token.id}`, {
      token: app.admin.token,
    })
    expect(again.status).toBe(404)
    expect(again.body.code).toBe('resource_does_not_exist')
  })

  it("answers 404 for another user's token id and leaves it alone", async () => {
    const victim = await app.addUser('other-team', 'victim')
    const attacker = await app.addUser('acme', 'attacker')
    issued.push(victim, attacker)
    const target = await create(victim, { name: 'precious' }) // id 2; the attacker has only id 1
    const reply = await app.api('DELETE', `/api/tokens/${target.body.token.id}`, {
      token: attacker,
    })
    expect(reply.status).toBe(404)
    expect(reply.body.code).toBe('resource_does_not_exist')
    const left = await app.api('GET', '/api/tokens', { token: target.body.accessKey })
    expect(left.body.tokens.map((t: { name: string }) => t.name)).toEqual(['first', 'precious'])
  })

  it.each(['0', '-1', 'abc', '1.5', '1e3', '99999999999999999999'])(
    'answers 400 for tokenId %s',
    async (id) => {
      const reply = await app.api('DELETE', `/api/tokens/${id}`, { token: app.admin.token })
      expect(reply.status).toBe(400)
      expect(reply.body.errors).toEqual([
        { description: 'tokenId', message: 'must be a positive integer' },
      ])
    },
  )
})

describe('DELETE /api/tokens/delete-all', () => {
  it('revokes every token of the caller at once, the one in use included, and only theirs', async () => {
    const bystander = await app.addUser('acme', 'bystander')
    issued.push(bystander)
    const user = await app.addUser('acme', 'cleaner')
    issued.push(user)
    const made: string[] = []
    for (const name of ['a', 'b', 'c']) made.push((await create(user, { name })).body.accessKey)
    // A service JWT minted before: documented to live out its hour (no database read).
    const listed = await app.api('GET', '/api/tokens', { token: user })
    const a = listed.body.tokens.find((t: { name: string }) => t.name === 'a')
    const minted = await app.api('POST', '/v1/teams/acme/service_token', {
      body: { key_id: String(a.id), key_secret: made[0] },
    })
    expect(minted.status).toBe(200)

    const reply = await app.api('DELETE', '/api/tokens/delete-all', { token: user })
    expect(reply.status).toBe(204)
    for (const token of [user, ...made])
      expect((await app.api('GET', '/api/tokens', { token })).status).toBe(401)
    expect((await app.api('GET', '/api/tokens', { token: bystander })).status).toBe(200)
    // Nor can a revoked token be exchanged for a service JWT.
    const exchange = await app.api('POST', '/v1/teams/acme/service_token', {
      body: { key_id: String(a.id), key_secret: made[0] },
    })
    expect(exchange.status).toBe(401)

    // A token made afterwards works, and may take a revoked token's name (the items
    // themselves go later, from the change stream: delete-all-async.test.ts).
    const jwt = minted.body.bearer_token
    const again = await create(jwt, { name: 'a' })
    expect(again.status).toBe(200)
    const after = await app.api('GET', '/api/tokens', { token: again.body.accessKey })
    expect(after.status).toBe(200)
    expect(after.body.tokens.map((t: { name: string }) => t.name)).toEqual(['a'])
    // Its id is above the mark; the revoked ones stay refused.
    expect(after.body.tokens[0].id).toBeGreaterThan(a.id)
    expect((await app.api('GET', '/api/tokens', { token: made[1] ?? '' })).status).toBe(401)
  })

  it('answers 401 once the caller has no tokens left (its own went first)', async () => {
    const user = await app.addUser('acme', 'twice')
    expect((await app.api('DELETE', '/api/tokens/delete-all', { token: user })).status).toBe(204)
    expect((await app.api('DELETE', '/api/tokens/delete-all', { token: user })).status).toBe(401)
  })

  it('writes one revocation mark at the highest token id, and its mirror on the user item', async () => {
    const user = await app.addUser('acme', 'constant')
    const mark = await app.db.send(
      new GetCommand({
        TableName: app.tableName,
        Key: { PK: 'TEAM#acme#USER#constant', SK: 'PAT#' },
      }),
    )
    expect(mark.Item).toBeUndefined()
    expect((await app.api('DELETE', '/api/tokens/delete-all', { token: user })).status).toBe(204)
    const written = await app.db.send(
      new GetCommand({
        TableName: app.tableName,
        Key: { PK: 'TEAM#acme#USER#constant', SK: 'PAT#' },
      }),
    )
    expect(written.Item).toMatchObject({
      kind: 'TokenRevocation',
      team: 'acme',
      username: 'constant',
      revokedThrough: 1,
      sweepRound: 0,
    })
    // The same transaction: the mirror every create's count condition reads, and the count.
    const owner = await app.db.send(
      new GetCommand({ TableName: app.tableName, Key: { PK: 'TEAM#acme', SK: 'USER#constant' } }),
    )
    expect(owner.Item).toMatchObject({ revokedThrough: 1, tokenCount: 0, tokenSeq: 1 })
  })

  it('never writes a token whose id a delete-all passed while it was being made', async () => {
    const { nextTokenId } = await import('../../shared/data/users.js')
    const { putAccessToken, IdRevoked } = await import('../../shared/data/access-tokens.js')
    const { AccessToken } = await import('../../shared/data/entities.js')
    const user = await app.addUser('acme', 'racer') // its token: id 1
    const late = await nextTokenId('acme', 'racer') // a create took id 2 ...
    expect((await create(user, { name: 'other' })).body.token.id).toBe(3) // ... another wrote 3
    expect((await app.api('DELETE', '/api/tokens/delete-all', { token: user })).status).toBe(204)
    const { Item: three } = await app.db.send(
      new GetCommand({
        TableName: app.tableName,
        Key: { PK: 'TEAM#acme#USER#racer', SK: `PAT#${'3'.padStart(16, '0')}` },
      }),
    )
    const record = { ...AccessToken.decode(three ?? {}), id: late ?? 0, name: 'late' }
    // ... and writes token 2 only now, past the mark (3): refused, so it takes a new id.
    const bound = { budget: 5 * 1024 * 1024, light: 568 }
    await expect(putAccessToken(record, 1000, bound)).rejects.toBeInstanceOf(IdRevoked)
    const { Items = [] } = await app.db.send(
      new ScanCommand({
        TableName: app.tableName,
        FilterExpression: 'PK = :pk AND (SK = :token OR SK = :name)',
        ExpressionAttributeValues: {
          ':pk': 'TEAM#acme#USER#racer',
          ':token': `PAT#${'2'.padStart(16, '0')}`,
          ':name': 'PATNAME#late',
        },
      }),
    )
    expect(Items).toEqual([]) // nothing of it written
    const owner = await app.db.send(
      new GetCommand({ TableName: app.tableName, Key: { PK: 'TEAM#acme', SK: 'USER#racer' } }),
    )
    expect(owner.Item?.tokenCount).toBe(0)
  })
})

describe('routing', () => {
  it('answers 404 for unknown routes and 405 with Allow for known paths', async () => {
    const missing = await app.api('GET', '/api/nothing')
    expect(missing.status).toBe(404)
    expect(missing.body.code).toBe('resource_does_not_exist')
    expect(missing.body.errors).toEqual([]) // always present (Server Density clients)
    expect(missing.headers.get('x-request-id')).toBeTruthy()
    const wrong = await app.api('PUT', '/api/tokens', { token: app.admin.token })
    expect(wrong.status).toBe(405)
    expect(wrong.body.code).toBe('method_not_allowed')
    expect(wrong.body.errors).toEqual([])
    expect(wrong.headers.get('allow')).toBe('GET, POST')
  })
})

describe('secrets at rest and in logs', () => {
  it('stores no token secret in clear anywhere in the table', async () => {
    const { Items = [] } = await app.db.send(new ScanCommand({ TableName: app.tableName }))
    const dump = JSON.stringify(Items)
    expect(issued.length).toBeGreaterThan(5)
    for (const token of issued) {
      expect(dump).not.toContain(token)
      expect(dump).not.toContain(token.split('_')[2]?.slice(0, 43))
    }
    expect(dump).not.toContain(app.admin.password)
    // Token items hold exactly these attributes: nothing else can leak into them.
    const allowed = [
      'PK',
      'SK',
      'kind',
      'team',
      'username',
      'id',
      'name',
      'secretHash',
      'dateCreated',
      'lastUsed',
      'expiresAt',
      'ttl',
      // The index keys (the team's tokens by next due time) and the sweeper's marks.
      'GSI1PK',
      'GSI1SK',
      'expiryWarned',
      'expiryWarnedAt',
    ]
    const tokens = Items.filter((item) => item.kind === 'AccessToken')
    expect(tokens.length).toBeGreaterThan(5)
    for (const item of tokens) expect(allowed).toEqual(expect.arrayContaining(Object.keys(item)))
    expect(Items.map((item) => item.kind)).not.toContain('user')
  })

  it("logs one line per request with the invocation's keys: function, cold start, request and correlation ids", async () => {
    const lines = () =>
      output
        .join('')
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line))
    const traced = await app.api('GET', '/api/tokens', {
      token: app.admin.token,
      headers: { 'x-correlation-id': 'checkout-7f3a' },
    })
    const plain = await app.api('GET', '/api/tokens', { token: app.admin.token })
    const requestLine = (id: string | null) =>
      lines().find((line) => line.message === 'request' && line.requestId === id)
    expect(requestLine(traced.headers.get('x-request-id'))).toMatchObject({
      level: 'info',
      service: 'latchkey',
      function_name: 'tokens/list',
      function_request_id: traced.headers.get('x-request-id'),
      correlation_id: 'checkout-7f3a',
      cold_start: false, // the file's first requests warmed it
      route: 'GET /api/tokens',
      status: 200,
    })
    // Without the header, the request id correlates.
    expect(requestLine(plain.headers.get('x-request-id'))?.correlation_id).toBe(
      plain.headers.get('x-request-id'),
    )
  })

  it('never logs a token or its secret', () => {
    const logs = output.join('')
    expect(logs).toContain('"message":"request"') // the capture works
    for (const token of issued) {
      expect(logs).not.toContain(token)
      expect(logs).not.toContain(token.split('_')[2]?.slice(0, 43))
    }
  })
})
