import { readFileSync } from 'node:fs'
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { handler as exchange } from '../../../functions/auth/service-token.js'
import { handler as list } from '../../../functions/tokens/list.js'
import { config } from '../../../shared/context.js'
import { keys } from '../../../shared/data/keys.js'
import type { JwtKeyFile } from '../../../shared/keys/local-jwt-keys.js'
import { conditionFailed, throttled } from '../../support/aws-errors.js'
import { invoke } from '../../support/invoke.js'
import { serviceJwt } from '../../support/jwt.js'
import { storedToken, storedUser, tokenLookup } from '../../support/tokens.js'

/**
 * POST /v1/teams/{team}/service_token with a mocked table and the test's clock: what
 * the JWT says (who, which team, which role, which scopes, for how long), and the one
 * 401 for every token that is not this team's user's own.
 */

const ddb = mockClient(DynamoDBDocumentClient)
const TABLE = 'latchkey-unit'
const NOW = new Date('2026-11-25T10:00:00.000Z')
const keyFile = JSON.parse(readFileSync(config().jwt.keyFile ?? '', 'utf8')) as JwtKeyFile
const { kty, crv, x, y } = keyFile.current.privateKey
const jwks = createLocalJWKSet({ keys: [{ kty, crv, x, y, kid: keyFile.current.kid }] })

const recent = new Date(NOW.getTime() - 5_000).toISOString()
const post = (team: string, body: unknown) =>
  invoke(exchange, {
    method: 'POST',
    url: `/v1/teams/${team}/service_token`,
    body,
    params: { team },
    routeKey: 'POST /v1/teams/{team}/service_token',
  })

const unauthorized = {
  code: 'authentication_error',
  message: 'The credentials are missing, invalid, expired or revoked.',
}

beforeEach(() => {
  ddb.reset()
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(NOW)
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

/**
 * The table: this token (read with its user's revocation mark, in one BatchGetItem)
 * and these users, found by their exact keys.
 */
function table(token: ReturnType<typeof storedToken>, users: ReturnType<typeof storedUser>[]) {
  ddb.on(GetCommand).resolves({})
  ddb.on(BatchGetCommand).callsFake(tokenLookup(token.item))
  for (const user of users)
    ddb.on(GetCommand, { Key: keys.user(user.team, user.username) }).resolves({ Item: user })
}

describe('the service token exchange', () => {
  it("signs one hour as the token's user, with the user's current role", async () => {
    const token = storedToken({ lastUsed: recent })
    table(token, [storedUser('acme', 'alice', 'admin')])
    const reply = await post('acme', { key_id: '7', key_secret: token.token })
    expect(reply.statusCode).toBe(200)
    expect(reply.json).toEqual({
      bearer_token: expect.any(String),
      expires_at: '2026-11-25T11:00:00.000Z',
      team_name: 'acme',
    })
    const { payload } = await jwtVerify(reply.json.bearer_token, jwks, { currentDate: NOW })
    expect(payload).toEqual({
      iss: 'latchkey',
      sub: 'alice',
      team: 'acme',
      role: 'admin',
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      iat: NOW.getTime() / 1000,
      exp: NOW.getTime() / 1000 + 3600,
    })
    expect(decodeProtectedHeader(reply.json.bearer_token)).toMatchObject({
      alg: 'ES256',
      typ: 'JWT',
      kid: keyFile.current.kid,
    })
    // The token with its user's revocation mark (one strongly consistent BatchGetItem)
    // and the user's role: two reads, no write.
    expect(ddb).toHaveReceivedCommandWith(BatchGetCommand, {
      RequestItems: {
        [TABLE]: { Keys: [keys.tokenRevocation('acme', 'alice'), token.key], ConsistentRead: true },
      },
    })
    expect(ddb).toHaveReceivedCommandWith(GetCommand, {
      TableName: TABLE,
      Key: keys.user('acme', 'alice'),
      ConsistentRead: true,
    })
    expect(ddb.calls()).toHaveLength(2)
  })

  it('gives each exchange its own token id, and a member a member role', async () => {
    const token = storedToken({ lastUsed: recent })
    table(token, [storedUser('acme', 'alice', 'member')])
    const first = await post('acme', { key_id: '7', key_secret: token.token })
    const second = await post('acme', { key_id: '7', key_secret: token.token })
    const [a, b] = await Promise.all(
      [first, second].map((reply) =>
        jwtVerify(reply.json.bearer_token, jwks, { currentDate: NOW }),
      ),
    )
    expect(a?.payload.role).toBe('member')
    expect(a?.payload.jti).not.toBe(b?.payload.jti)
  })

  it("carries the personal token's scopes (none without: the first test)", async () => {
    const scoped = storedToken({ lastUsed: recent, scopes: ['tokens:read', 'reports:read'] })
    table(scoped, [storedUser('acme', 'alice', 'admin')])
    const reply = await post('acme', { key_id: '7', key_secret: scoped.token })
    const { payload } = await jwtVerify(reply.json.bearer_token, jwks, { currentDate: NOW })
    expect(payload.scopes).toEqual(['tokens:read', 'reports:read'])
    // The scoped service token then opens what the scopes allow, as the user.
    ddb.on(QueryCommand).resolves({ Items: [] })
    const listed = await invoke(list, {
      method: 'GET',
      url: '/api/tokens',
      token: reply.json.bearer_token,
    })
    expect(listed.statusCode).toBe(200)
  })

  it('records the first use of a fresh token (lastUsed), conditionally', async () => {
    const token = storedToken()
    table(token, [storedUser('acme', 'alice', 'admin')])
    ddb.on(UpdateCommand).resolves({})
    const reply = await post('acme', { key_id: '7', key_secret: token.token })
    expect(reply.statusCode).toBe(200)
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      Key: token.key,
      ExpressionAttributeValues: expect.objectContaining({ ':now': NOW.toISOString() }),
    })
  })

  it.each([
    ['the token of the same username in another team', 'acme', 'evil', '7'],
    ['another key id than the token', 'acme', 'acme', '8'],
  ])('refuses %s with the one 401', async (_, team, tokenTeam, keyId) => {
    const token = storedToken({ team: tokenTeam, username: 'admin', lastUsed: recent })
    // Both teams have an admin called admin: only the check of the team refuses.
    table(token, [storedUser('acme', 'admin', 'admin'), storedUser('evil', 'admin', 'admin')])
    const reply = await post(team, { key_id: keyId, key_secret: token.token })
    expect(reply.statusCode).toBe(401)
    expect(reply.json).toMatchObject(unauthorized)
  })

  it('refuses a token whose user no longer exists', async () => {
    const token = storedToken({ lastUsed: recent })
    table(token, [])
    const reply = await post('acme', { key_id: '7', key_secret: token.token })
    expect(reply.statusCode).toBe(401)
    expect(reply.json).toMatchObject(unauthorized)
  })

  it("refuses a token its user's delete-all revoked, reading no role; takes one made after", async () => {
    const token = storedToken({ lastUsed: recent })
    table(token, [storedUser('acme', 'alice', 'admin')])
    const mark = (revokedThrough: number) => ({
      ...keys.tokenRevocation('acme', 'alice'),
      kind: 'TokenRevocation',
      revokedThrough,
    })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(mark(7), token.item))
    const revoked = await post('acme', { key_id: '7', key_secret: token.token })
    expect(revoked.statusCode).toBe(401)
    expect(revoked.json).toMatchObject(unauthorized)
    expect(ddb).not.toHaveReceivedCommand(GetCommand)
    ddb.on(BatchGetCommand).callsFake(tokenLookup(mark(6), token.item))
    expect((await post('acme', { key_id: '7', key_secret: token.token })).statusCode).toBe(200)
  })

  it('refuses an expired token, to the millisecond', async () => {
    const expiring = storedToken({ lastUsed: recent, expiresAt: NOW.toISOString() })
    table(expiring, [storedUser('acme', 'alice', 'admin')])
    expect((await post('acme', { key_id: '7', key_secret: expiring.token })).statusCode).toBe(401)
    vi.setSystemTime(NOW.getTime() - 1)
    expect((await post('acme', { key_id: '7', key_secret: expiring.token })).statusCode).toBe(200)
  })

  it('counts the exchange against the token rate limit, and refuses it over the limit', async () => {
    const limited = storedToken({ lastUsed: recent, rateLimit: { limit: 5, windowSeconds: 60 } })
    table(limited, [storedUser('acme', 'alice', 'admin')])
    ddb.on(UpdateCommand).rejects(conditionFailed())
    const reply = await post('acme', { key_id: '7', key_secret: limited.token })
    expect(reply.statusCode).toBe(429)
    expect(reply.headers?.['retry-after']).toBe('60')
    // Refused before the user is read.
    expect(ddb).not.toHaveReceivedCommandWith(GetCommand, { Key: keys.user('acme', 'alice') })
  })
})

describe('service tokens presented to Latchkey', () => {
  const nowSeconds = NOW.getTime() / 1000
  const sign = (claims: Record<string, unknown>) =>
    serviceJwt({ sub: 'alice', iat: nowSeconds, exp: nowSeconds + 600, ...claims })
  const listWith = (token: string) => invoke(list, { method: 'GET', url: '/api/tokens', token })
  beforeEach(() => {
    ddb.on(QueryCommand).resolves({ Items: [] })
  })

  it.each([
    ['a numeric subject', { sub: 42 }],
    ['a numeric team', { team: 7 }],
    ['a numeric token id', { jti: 1 }],
    ['scopes that are text, not a list', { scopes: 'tokens:read' }],
    ['a scope that is not text', { scopes: [1] }],
    ['one scope of two that is not text', { scopes: ['tokens:read', 2] }],
    ['another role', { role: 'owner' }],
  ])('refuses a signed token with %s: the one 401, no call', async (_, claims) => {
    const reply = await listWith(await sign(claims))
    expect(reply.statusCode).toBe(401)
    expect(reply.json).toMatchObject(unauthorized)
    expect(ddb.calls()).toHaveLength(0)
  })

  it('takes a token issued up to 60 s ahead of this clock, not 61', async () => {
    const ahead = (seconds: number) =>
      sign({ iat: nowSeconds + seconds, exp: nowSeconds + seconds + 600, jti: `a${seconds}` })
    expect((await listWith(await ahead(60))).statusCode).toBe(200)
    expect((await listWith(await ahead(61))).statusCode).toBe(401)
  })

  it('takes a token living exactly the hour we issue, not a second more', async () => {
    expect((await listWith(await sign({ exp: nowSeconds + 3600, jti: 'h' }))).statusCode).toBe(200)
    expect((await listWith(await sign({ exp: nowSeconds + 3601, jti: 'h1' }))).statusCode).toBe(401)
  })

  it('stops taking a remembered token at the millisecond it expires', async () => {
    const token = await sign({ exp: nowSeconds + 60, jti: 'edge' })
    expect((await listWith(token)).statusCode).toBe(200)
    vi.setSystemTime(NOW.getTime() + 59_999)
    expect((await listWith(token)).statusCode).toBe(200) // remembered
    vi.setSystemTime(NOW.getTime() + 60_000)
    expect((await listWith(token)).statusCode).toBe(401)
  })
})

describe('the exchange when lastUsed cannot be written', () => {
  it('still answers the service token, and logs a warning naming the failure', async () => {
    const written: string[] = []
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk))
      return true
    })
    const token = storedToken()
    table(token, [storedUser('acme', 'alice', 'admin')])
    ddb.on(UpdateCommand).rejects(throttled())
    const reply = await post('acme', { key_id: '7', key_secret: token.token })
    expect(reply.statusCode).toBe(200)
    const warning = written.map((line) => JSON.parse(line)).find((line) => line.level === 'warn')
    expect(warning).toMatchObject({ message: 'lastUsed not recorded' })
    expect(JSON.stringify(warning)).toContain('ThrottlingException')
  })
})
