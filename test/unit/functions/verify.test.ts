import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { handler as verify } from '../../../functions/tokens/verify.js'
import { keys } from '../../../shared/data/keys.js'
import { personalTokenExtraCalls, routes } from '../../../shared/routes.js'
import { sha256 } from '../../../shared/tokens/crypto.js'
import { issueServerToken } from '../../../shared/tokens/server-token.js'
import { awsError } from '../../support/aws-errors.js'
import { invoke } from '../../support/invoke.js'
import { serviceJwt } from '../../support/jwt.js'
import { rateCountWrite, storedToken, tokenLookup } from '../../support/tokens.js'

const ddb = mockClient(DynamoDBDocumentClient)
const TABLE = 'latchkey-unit'
const NOW = new Date('2026-11-22T10:00:30.000Z')
const nowSeconds = Math.floor(NOW.getTime() / 1000)

/** The same token with its last checksum character changed (never to itself). */
const badChecksum = (token: string) => `${token.slice(0, -1)}${token.endsWith('0') ? '1' : '0'}`

/** A service JWT of acme's admin holding `tokens:verify`: authenticating it costs no call. */
const jwtFor = (claims: Record<string, unknown> = {}) =>
  serviceJwt({
    sub: 'svc',
    role: 'member',
    jti: 'caller-jti',
    iat: nowSeconds,
    exp: nowSeconds + 3600,
    scopes: ['tokens:verify'],
    ...claims,
  })

let caller: string
beforeEach(async () => {
  ddb.reset()
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(NOW)
  caller = await jwtFor()
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

const check = (token: string, scopes?: string[], team = 'acme') =>
  invoke(verify, {
    method: 'POST',
    url: `/v1/teams/${team}/tokens/verify`,
    token: caller,
    body: { token, ...(scopes && { scopes }) },
    params: { team },
    routeKey: 'POST /v1/teams/{team}/tokens/verify',
  })

describe('verify: call budgets', () => {
  it.each([
    'garbage',
    'lk_abc_def',
    badChecksum(storedToken().token),
    'lks_nope',
    'a.b.c',
    'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.',
  ])('answers NOT_FOUND for %s with no DynamoDB call', async (token) => {
    const reply = await check(token)
    expect(reply.statusCode).toBe(200)
    expect(reply.json).toEqual({ valid: false, code: 'NOT_FOUND' })
    expect(ddb.calls()).toHaveLength(routes.verifyToken.calls.garbage)
  })

  it('verifies a personal token with one strongly consistent BatchGetItem (it and its mark), and shows who it is', async () => {
    const meta = { customer: 'c-1' }
    const stored = storedToken({ lastUsed: NOW.toISOString(), scopes: ['orders:read'], meta })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(stored.item))
    const reply = await check(stored.token, ['orders:read'])
    expect(reply.json).toEqual({
      valid: true,
      code: 'VALID',
      token: {
        id: '7',
        kind: 'personal',
        name: 'token 7',
        team: 'acme',
        user: 'alice',
        scopes: ['orders:read'],
        meta,
        expiresAt: null,
      },
    })
    expect(ddb).toHaveReceivedCommandWith(BatchGetCommand, {
      RequestItems: {
        [TABLE]: { Keys: [{ PK: stored.key.PK, SK: 'PAT#' }, stored.key], ConsistentRead: true },
      },
    })
    expect(ddb.calls()).toHaveLength(routes.verifyToken.calls['personal token'])
    expect(reply.headers?.['cache-control']).toBe('no-store')
  })

  it('adds the lastUsed write once a minute', async () => {
    const stored = storedToken({ lastUsed: new Date(NOW.getTime() - 61_000).toISOString() })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(stored.item))
    await check(stored.token)
    expect(ddb).toHaveReceivedCommandTimes(BatchGetCommand, 1)
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1)
  })

  it('verifies a service JWT with no call at all', async () => {
    const token = await jwtFor({ sub: 'bob', jti: 'other', scopes: ['orders:read'] })
    const reply = await check(token, ['orders:read'])
    expect(reply.json).toMatchObject({
      valid: true,
      code: 'VALID',
      token: { id: 'other', kind: 'service', user: 'bob', team: 'acme', scopes: ['orders:read'] },
    })
    expect(reply.json.token.expiresAt).toBe(new Date((nowSeconds + 3600) * 1000).toISOString())
    expect(ddb.calls()).toHaveLength(routes.verifyToken.calls['service token'])
  })

  const fleet = { ...keys.project('acme', 'fleet'), kind: 'Project', team: 'acme', name: 'fleet' }

  it("verifies an enrolled server's token with one BatchGetItem of it and its project, naming both", async () => {
    const id = '0193a2b4-0000-7000-8000-000000000001'
    const { token, secret } = issueServerToken({ team: 'acme', project: 'fleet', id })
    const server = {
      ...keys.server('acme', 'fleet', id),
      team: 'acme',
      project: 'fleet',
      id,
      hostname: 'web-01',
      enrollmentTokenId: 'e',
      registeredAt: NOW.toISOString(),
      secretHash: sha256(secret),
    }
    ddb.on(BatchGetCommand).callsFake(tokenLookup(server, fleet))
    const reply = await check(token)
    expect(reply.json).toMatchObject({
      valid: true,
      code: 'VALID',
      token: { id, kind: 'server', name: 'web-01', project: 'fleet', server: id, user: null },
    })
    expect(ddb).toHaveReceivedCommandWith(BatchGetCommand, {
      RequestItems: {
        [TABLE]: {
          Keys: [keys.server('acme', 'fleet', id), keys.project('acme', 'fleet')],
          ConsistentRead: true,
        },
      },
    })
    expect(ddb.calls()).toHaveLength(routes.verifyToken.calls['server token'])
    const scoped = await check(token, ['orders:read'])
    expect(scoped.json.code).toBe('INSUFFICIENT_SCOPE')
  })

  it("answers REVOKED for a deleted server's genuine token, NOT_FOUND for a forged one", async () => {
    const id = '0193a2b4-0000-7000-8000-000000000002'
    const genuine = issueServerToken({ team: 'acme', project: 'fleet', id })
    const forged = issueServerToken({ team: 'acme', project: 'fleet', id })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(fleet))
    ddb
      .on(GetCommand, { Key: keys.tombstone(keys.server('acme', 'fleet', id)) })
      .resolves({ Item: { secretHash: sha256(genuine.secret) } })
    expect((await check(genuine.token)).json).toEqual({ valid: false, code: 'REVOKED' })
    expect(ddb.calls()).toHaveLength(routes.verifyToken.calls["deleted server's token"])
    expect((await check(forged.token)).json).toEqual({ valid: false, code: 'NOT_FOUND' })
  })
})

describe('verify: outcomes', () => {
  it('answers EXPIRED for a genuine expired token, revealing nothing else', async () => {
    const stored = storedToken({ expiresAt: new Date(NOW.getTime() - 1).toISOString() })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(stored.item))
    expect((await check(stored.token)).json).toEqual({ valid: false, code: 'EXPIRED' })
    const forged = storedToken({ expiresAt: new Date(NOW.getTime() - 1).toISOString() })
    // The same key with another secret: not EXPIRED, since it is not the token.
    ddb.on(BatchGetCommand).callsFake(tokenLookup(stored.item))
    expect((await check(forged.token)).json).toEqual({ valid: false, code: 'NOT_FOUND' })
  })

  it("looks another team's token up in the verifying team's partition: NOT_FOUND, same one call", async () => {
    const foreign = storedToken({ team: 'globex', username: 'alice', id: 7 })
    // Even if the verifying team has a token at the same user and id, it is not this one.
    const local = storedToken({ team: 'acme', username: 'alice', id: 7 })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(local.item))
    const reply = await check(foreign.token)
    expect(reply.json).toEqual({ valid: false, code: 'NOT_FOUND' })
    const asked = ddb.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.[TABLE]?.Keys
    expect(asked).toContainEqual(keys.accessToken('acme', 'alice', 7))
    expect(asked).toContainEqual({ PK: 'TEAM#acme#USER#alice', SK: 'PAT#' })
    expect(ddb.calls()).toHaveLength(1)
    const foreignJwt = await jwtFor({ team: 'globex' })
    expect((await check(foreignJwt)).json).toEqual({ valid: false, code: 'NOT_FOUND' })
  })

  it('answers INSUFFICIENT_SCOPE when a scope asked for is not held, consuming no rate', async () => {
    const stored = storedToken({
      lastUsed: NOW.toISOString(),
      scopes: ['orders:read'],
      rateLimit: { limit: 5, windowSeconds: 60 },
    })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(stored.item))
    const reply = await check(stored.token, ['orders:read', 'orders:write'])
    expect(reply.json).toMatchObject({ valid: false, code: 'INSUFFICIENT_SCOPE' })
    expect(reply.json.token.id).toBe('7')
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 0)
  })

  it("holds no user scope for a token made without scopes, and reads the role for an admin's", async () => {
    const stored = storedToken({ lastUsed: NOW.toISOString() })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(stored.item))
    ddb.on(GetCommand, { Key: keys.user('acme', 'alice') }).resolves({ Item: { role: 'member' } })
    expect((await check(stored.token, ['orders:read'])).json.code).toBe('INSUFFICIENT_SCOPE')
    expect((await check(stored.token, ['projects:read'])).json.code).toBe('VALID')
    expect((await check(stored.token, ['projects:write'])).json.code).toBe('INSUFFICIENT_SCOPE')
    expect(ddb).toHaveReceivedCommandTimes(BatchGetCommand, 3) // 3 token lookups
    expect(ddb).toHaveReceivedCommandTimes(GetCommand, 1) // 1 role
  })

  it('counts the verified token against its rate limit with one conditional UpdateItem', async () => {
    const stored = storedToken({
      lastUsed: NOW.toISOString(),
      rateLimit: { limit: 5, windowSeconds: 60 },
    })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(stored.item))
    ddb.on(UpdateCommand).resolves({ Attributes: { used: 1 } }) // one before this one
    const window = Math.floor(nowSeconds / 60)
    const reply = await check(stored.token)
    expect(reply.json).toMatchObject({
      valid: true,
      code: 'VALID',
      ratelimit: { limit: 5, remaining: 3, reset: (window + 1) * 60 },
    })
    expect(ddb).toHaveReceivedCommandWith(
      UpdateCommand,
      rateCountWrite({ window, windowSeconds: 60, limit: 5 }),
    )
    expect(ddb.calls()).toHaveLength(
      routes.verifyToken.calls['personal token'] + personalTokenExtraCalls.rateLimited,
    )
  })

  it('answers RATE_LIMITED when the window is used up', async () => {
    const stored = storedToken({
      lastUsed: NOW.toISOString(),
      rateLimit: { limit: 5, windowSeconds: 60 },
    })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(stored.item))
    ddb.on(UpdateCommand).rejects(awsError('ConditionalCheckFailedException'))
    const reply = await check(stored.token)
    expect(reply.json).toMatchObject({
      valid: false,
      code: 'RATE_LIMITED',
      ratelimit: { limit: 5, remaining: 0 },
      token: { id: '7' },
    })
  })

  it('answers 403 to a caller without tokens:verify, and 404 for another team', async () => {
    caller = await jwtFor({ scopes: ['orders:read'] })
    const refused = await check('garbage')
    expect(refused.statusCode).toBe(403)
    expect(refused.json.message).toContain('tokens:verify')
    caller = await jwtFor()
    const foreign = await check('garbage', undefined, 'globex')
    expect(foreign.statusCode).toBe(404)
  })

  it('answers 400 for a body without a token or with a malformed scope', async () => {
    expect((await check('', undefined)).statusCode).toBe(400)
    expect((await check('x', ['Not A Scope'])).statusCode).toBe(400)
    expect(ddb.calls()).toHaveLength(0)
  })
})
