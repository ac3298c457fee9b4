import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { handler as grant } from '../../../functions/grants/create.js'
import { DUMMY_HASH, hashPassword } from '../../../shared/auth/password.js'
import { takeAttempt } from '../../../shared/data/sign-in.js'
import { ATTEMPT_LIMIT, hashToCheck } from '../../../shared/domain/grants.js'
import { setMetricsWriter } from '../../../shared/metrics.js'
import { routes } from '../../../shared/routes.js'
import { conditionFailed, throttled } from '../../support/aws-errors.js'
import { invoke } from '../../support/invoke.js'
import { storedToken, tokenLookup } from '../../support/tokens.js'

const ddb = mockClient(DynamoDBDocumentClient)
const TABLE = 'latchkey-unit'
const ATTEMPTS_KEY = { PK: 'TEAM#acme', SK: 'SIGNIN#pat' }
const USER_KEY = { PK: 'TEAM#acme', SK: 'USER#pat' }
let passwordHash: string

const post = (password = 'right') =>
  invoke(grant, {
    method: 'POST',
    url: '/tokens',
    body: { username: 'pat', password, accountName: 'acme', tokenName: 'ci' },
  })

beforeAll(async () => {
  passwordHash = await hashPassword('right')
})
beforeEach(() => {
  ddb.reset()
  ddb.on(GetCommand, { Key: USER_KEY }).resolves({
    Item: { team: 'acme', username: 'pat', role: 'member', passwordHash, mfaEnabled: false },
  })
  ddb.on(GetCommand, { Key: { PK: 'TEAM#acme', SK: 'TOKENPOLICY' } }).resolves({})
  ddb.on(UpdateCommand).resolves({ Attributes: { tokenSeq: 3 } })
  ddb.on(TransactWriteCommand).resolves({})
  ddb.on(DeleteCommand).resolves({})
})

describe('the password grant: DynamoDB calls and exact inputs', () => {
  it('counts the attempt atomically before checking, then creates the token', async () => {
    const reply = await post()
    expect(reply.statusCode).toBe(200)
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: TABLE,
      Key: ATTEMPTS_KEY,
      UpdateExpression: 'ADD attempts :one',
      ConditionExpression: 'windowStart > :cutoff AND attempts < :max',
      ExpressionAttributeValues: expect.objectContaining({ ':one': 1, ':max': ATTEMPT_LIMIT.max }),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    })
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { Key: USER_KEY, ConsistentRead: true })
    expect(ddb).toHaveReceivedCommandWith(DeleteCommand, { Key: ATTEMPTS_KEY })
    // attempt + user + policy and token id (together) + token transaction + clearing the attempts
    expect(ddb.calls()).toHaveLength(routes.createTokenByGrant.calls.password)
  })

  it('opens a new window with a conditional put when none is open', async () => {
    ddb.on(UpdateCommand, { Key: ATTEMPTS_KEY }).rejects(conditionFailed())
    ddb.on(PutCommand).resolves({})
    expect((await post('wrong')).statusCode).toBe(401)
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ ...ATTEMPTS_KEY, attempts: 1, kind: 'SignInAttempts' }),
      ConditionExpression: 'attribute_not_exists(PK) OR windowStart <= :cutoff',
    })
    expect(ddb).not.toHaveReceivedCommand(DeleteCommand)
  })

  it('answers 429 with Retry-After from the open window, checking no password', async () => {
    const windowStart = Date.now() - 60_000
    ddb
      .on(UpdateCommand, { Key: ATTEMPTS_KEY })
      .rejects(conditionFailed({ windowStart: { N: String(windowStart) }, attempts: { N: '5' } }))
    const metrics: string[] = []
    setMetricsWriter((line) => metrics.push(line))
    const reply = await post()
    setMetricsWriter(undefined)
    expect(reply.statusCode).toBe(429)
    expect(Number(reply.headers?.['retry-after'])).toBe(14 * 60)
    // The lockout's end, rounded up to a second: the moment oktapam's client waits for.
    expect(Number(reply.headers?.['x-ratelimit-retry-at'])).toBe(
      Math.ceil((windowStart + 15 * 60_000) / 1000),
    )
    expect(metrics.map((line) => JSON.parse(line))).toContainEqual(
      expect.objectContaining({ RateLimited: 1, limit: 'password_attempts' }),
    )
    expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand)
    expect(ddb).not.toHaveReceivedCommand(PutCommand)
  })

  it('answers 503 with Retry-After when DynamoDB throttles, never 500', async () => {
    ddb.on(UpdateCommand, { Key: ATTEMPTS_KEY }).rejects(throttled())
    const reply = await post()
    expect(reply.statusCode).toBe(503)
    expect(reply.headers?.['retry-after']).toBe('1')
  })

  it('checks unknown users and token-only users against the dummy hash', () => {
    expect(hashToCheck(undefined)).toBe(DUMMY_HASH)
    expect(
      hashToCheck({
        team: 'acme',
        username: 'pat',
        role: 'member',
        passwordHash: null,
        mfaEnabled: false,
        createdAt: '',
      }),
    ).toBe(DUMMY_HASH)
    expect(DUMMY_HASH.split('$').slice(0, 4)).toEqual(passwordHash.split('$').slice(0, 4))
  })
})

describe('the password grant: answers', () => {
  const tokenPut = () =>
    ddb
      .commandCalls(TransactWriteCommand)[0]
      ?.args[0].input.TransactItems?.map((item) => item.Put?.Item)
      .find((item) => item?.kind === 'AccessToken')

  it('answers 400 naming every missing field, counting no attempt', async () => {
    const reply = await invoke(grant, {
      method: 'POST',
      url: '/tokens',
      body: { username: 'pat', accountName: 'acme' },
    })
    expect(reply.statusCode).toBe(400)
    expect(reply.json).toMatchObject({ message: 'Missing password, tokenName.' })
    expect(reply.json.errors).toEqual([
      { description: 'password', message: 'is required' },
      { description: 'tokenName', message: 'is required' },
    ])
    expect(ddb.calls()).toHaveLength(0)
  })

  it('answers Server Density’s fields only, and the extensions when asked for', async () => {
    const plain = await post()
    expect(plain.statusCode).toBe(200)
    expect(Object.keys(plain.json).sort()).toEqual(
      ['accountName', 'dateCreated', 'id', 'token', 'tokenName', 'username'].sort(),
    )
    expect(plain.json).toMatchObject({ accountName: 'acme', username: 'pat', tokenName: 'ci' })
    const extended = await invoke(grant, {
      method: 'POST',
      url: '/tokens',
      body: {
        username: 'pat',
        password: 'right',
        accountName: 'acme',
        tokenName: 'ci',
        scopes: ['projects:read'],
        meta: { ci: 'github' },
        rateLimit: { limit: 10, windowSeconds: 60 },
      },
    })
    expect(extended.statusCode).toBe(200)
    expect(extended.json).toMatchObject({
      scopes: ['projects:read'],
      meta: { ci: 'github' },
      rateLimit: { limit: 10, windowSeconds: 60 },
    })
  })

  it('gives the token the longest lifetime the team policy allows (a grant cannot ask)', async () => {
    ddb.on(GetCommand, { Key: { PK: 'TEAM#acme', SK: 'TOKENPOLICY' } }).resolves({
      Item: {
        PK: 'TEAM#acme',
        SK: 'TOKENPOLICY',
        kind: 'TokenPolicy',
        team: 'acme',
        maxLifetimeDays: 30,
        updatedBy: 'ann',
        updatedAt: '2026-11-01T00:00:00.000Z',
      },
    })
    const before = Date.now()
    const reply = await post()
    expect(reply.statusCode).toBe(200)
    const expiresAt = Date.parse(String(tokenPut()?.expiresAt))
    const created = Date.parse(reply.json.dateCreated)
    expect(created).toBeGreaterThanOrEqual(before)
    expect(expiresAt - created).toBe(30 * 86_400_000)
  })

  it('tells an MFA user with the right password to use a token, and gives the allowance back', async () => {
    ddb.on(GetCommand, { Key: USER_KEY }).resolves({
      Item: { team: 'acme', username: 'pat', role: 'member', passwordHash, mfaEnabled: true },
    })
    const reply = await post()
    expect(reply.statusCode).toBe(403)
    expect(reply.json.code).toBe('mfa_required')
    expect(reply.json.message).toMatch(
      /^This user has multi-factor authentication enabled: create the token with an existing token/,
    )
    expect(ddb).toHaveReceivedCommandWith(DeleteCommand, { Key: ATTEMPTS_KEY })
    expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand)
    // The wrong password learns nothing about MFA.
    ddb.resetHistory()
    const wrong = await post('wrong')
    expect(wrong.statusCode).toBe(401)
    expect(wrong.json.code).toBe('authentication_error')
    expect(ddb).not.toHaveReceivedCommand(DeleteCommand)
  })

  it('refuses a user without a password and an unknown user, whatever is typed', async () => {
    ddb.on(GetCommand, { Key: USER_KEY }).resolves({
      Item: {
        team: 'acme',
        username: 'pat',
        role: 'member',
        passwordHash: null,
        mfaEnabled: false,
      },
    })
    for (const password of ['right', 'anything']) {
      const reply = await post(password)
      expect(reply.statusCode).toBe(401)
    }
    ddb.on(GetCommand, { Key: USER_KEY }).resolves({})
    expect((await post()).statusCode).toBe(401)
    expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand)
    expect(ddb).not.toHaveReceivedCommand(DeleteCommand)
  })

  it('counts into a window another request opened between its two writes', async () => {
    // No open window (the ADD refused), then the put refused: someone opened one.
    ddb.on(UpdateCommand, { Key: ATTEMPTS_KEY }).rejectsOnce(conditionFailed()).resolves({})
    ddb.on(PutCommand).rejects(conditionFailed())
    const reply = await post()
    expect(reply.statusCode).toBe(200)
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1)
  })
})

describe('the attempt window, at its edges', () => {
  const NOW = new Date('2026-11-25T10:00:00.000Z')
  const cutoff = NOW.getTime() - ATTEMPT_LIMIT.windowMs
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(NOW)
  })
  afterEach(() => vi.useRealTimers())

  it('counts within the window ending now and opens one as long as the limit', async () => {
    ddb.on(UpdateCommand, { Key: ATTEMPTS_KEY }).rejects(conditionFailed())
    ddb.on(PutCommand).resolves({})
    await post('wrong')
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      Key: ATTEMPTS_KEY,
      ExpressionAttributeValues: { ':one': 1, ':cutoff': cutoff, ':max': ATTEMPT_LIMIT.max },
    })
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({
        attempts: 1,
        windowStart: NOW.getTime(),
        windowEnd: NOW.getTime() + ATTEMPT_LIMIT.windowMs,
      }),
      ExpressionAttributeValues: { ':cutoff': cutoff },
    })
  })

  it('treats a window opened exactly one window ago as closed: a new one opens', async () => {
    ddb
      .on(UpdateCommand, { Key: ATTEMPTS_KEY })
      .rejects(conditionFailed({ windowStart: { N: String(cutoff) }, attempts: { N: '5' } }))
    ddb.on(PutCommand).resolves({})
    expect((await post()).statusCode).toBe(200)
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1)
  })

  it('refuses within a window a millisecond younger, until it reopens (at least 1 s)', async () => {
    ddb
      .on(UpdateCommand, { Key: ATTEMPTS_KEY })
      .rejects(conditionFailed({ windowStart: { N: String(cutoff + 1) }, attempts: { N: '5' } }))
    const reply = await post()
    expect(reply.statusCode).toBe(429)
    expect(reply.json.message).toBe('Too many failed attempts for this user; try again later.')
    expect(reply.headers?.['retry-after']).toBe('1')
    expect(ddb).not.toHaveReceivedCommand(PutCommand)
  })

  it('reads the window from an unmarshalled item too', async () => {
    ddb
      .on(UpdateCommand, { Key: ATTEMPTS_KEY })
      .rejects(conditionFailed({ windowStart: NOW.getTime() - 60_000, attempts: 5 }))
    const reply = await post()
    expect(reply.statusCode).toBe(429)
    expect(reply.headers?.['retry-after']).toBe(String(14 * 60))
  })
})

describe('taking an attempt when every write loses its race', () => {
  it('gives up after two rounds as busy (503 service_offline), never looping on', async () => {
    // No window seen by the ADD, and the put finds one each time (then gone again).
    ddb.on(UpdateCommand, { Key: ATTEMPTS_KEY }).rejects(conditionFailed())
    ddb.on(PutCommand).rejects(conditionFailed())
    await expect(takeAttempt('acme', 'pat', Date.now(), ATTEMPT_LIMIT)).rejects.toMatchObject({
      code: 'service_offline',
    })
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 2)
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 2)
  })

  it('answers the password grant 503 with Retry-After, never a 500', async () => {
    ddb.on(UpdateCommand, { Key: ATTEMPTS_KEY }).rejects(conditionFailed())
    ddb.on(PutCommand).rejects(conditionFailed())
    const reply = await post()
    expect(reply.statusCode).toBe(503)
    expect(reply.headers?.['retry-after']).toBe('1')
    expect(JSON.parse(reply.body ?? '{}')).toMatchObject({ code: 'service_offline' })
  })
})

describe('the token grant', () => {
  it('gives the token the longest lifetime the team policy allows, too', async () => {
    const caller = storedToken({
      team: 'acme',
      username: 'pat',
      lastUsed: new Date().toISOString(),
    })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(caller.item))
    ddb.on(GetCommand, { Key: { PK: 'TEAM#acme', SK: 'TOKENPOLICY' } }).resolves({
      Item: {
        PK: 'TEAM#acme',
        SK: 'TOKENPOLICY',
        kind: 'TokenPolicy',
        team: 'acme',
        maxLifetimeDays: 7,
        updatedBy: 'ann',
        updatedAt: '2026-11-01T00:00:00.000Z',
      },
    })
    const reply = await invoke(grant, {
      method: 'POST',
      url: '/tokens',
      token: caller.token,
      body: { tokenName: 'ci' },
    })
    expect(reply.statusCode).toBe(200)
    const put = ddb
      .commandCalls(TransactWriteCommand)[0]
      ?.args[0].input.TransactItems?.map((item) => item.Put?.Item)
      .find((item) => item?.kind === 'AccessToken')
    const created = Date.parse(reply.json.dateCreated)
    expect(Date.parse(String(put?.expiresAt)) - created).toBe(7 * 86_400_000)
  })

  it('answers 400 naming tokenName when it is missing', async () => {
    const caller = storedToken({
      team: 'acme',
      username: 'pat',
      lastUsed: new Date().toISOString(),
    })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(caller.item))
    const reply = await invoke(grant, {
      method: 'POST',
      url: '/tokens',
      token: caller.token,
      body: {},
    })
    expect(reply.statusCode).toBe(400)
    expect(reply.json).toMatchObject({ message: 'Missing tokenName.' })
    expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand)
  })
})
