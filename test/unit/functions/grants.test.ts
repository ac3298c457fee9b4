import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { handler as grant } from '../../../functions/grants/create.js'
import { DUMMY_HASH, hashPassword } from '../../../shared/auth/password.js'
import { ATTEMPT_LIMIT, hashToCheck } from '../../../shared/domain/grants.js'
import { setMetricsWriter } from '../../../shared/metrics.js'
import { routes } from '../../../shared/routes.js'
import { invoke } from '../../support/invoke.js'

const ddb = mockClient(DynamoDBDocumentClient)
const TABLE = 'latchkey-unit'
const ATTEMPTS_KEY = { PK: 'TEAM#acme', SK: 'SIGNIN#pat' }
const USER_KEY = { PK: 'TEAM#acme', SK: 'USER#pat' }
let passwordHash: string

const conditionFailed = (item?: Record<string, unknown>) =>
  Object.assign(new Error('failed'), {
    name: 'ConditionalCheckFailedException',
    $metadata: {},
    ...(item && { Item: item }),
  })

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
    expect(metrics.map((line) => JSON.parse(line))).toContainEqual(
      expect.objectContaining({ RateLimited: 1, limit: 'password_attempts' }),
    )
    expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand)
    expect(ddb).not.toHaveReceivedCommand(PutCommand)
  })

  it('answers 503 with Retry-After when DynamoDB throttles, never 500', async () => {
    ddb
      .on(UpdateCommand, { Key: ATTEMPTS_KEY })
      .rejects(
        Object.assign(new Error('slow down'), { name: 'ThrottlingException', $metadata: {} }),
      )
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
