import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { handler as createToken } from '../../../functions/enrollment-tokens/create.js'
import { handler as getToken } from '../../../functions/enrollment-tokens/get.js'
import { handler as enroll } from '../../../functions/servers/enroll.js'
import { handler as heartbeat } from '../../../functions/servers/heartbeat.js'
import { sealer } from '../../../shared/keys/sealing.js'
import { setMetricsWriter } from '../../../shared/metrics.js'
import { routes } from '../../../shared/routes.js'
import { sha256 } from '../../../shared/tokens/crypto.js'
import { issueEnrollmentToken } from '../../../shared/tokens/enrollment-token.js'
import { issueServerToken } from '../../../shared/tokens/server-token.js'
import { awsError, cancelled } from '../../support/aws-errors.js'
import { invoke } from '../../support/invoke.js'
import { adminJwt } from '../../support/jwt.js'

const ddb = mockClient(DynamoDBDocumentClient)
const TABLE = 'latchkey-unit'
const TOKEN_ID = '0193a0a0-0000-7000-8000-000000000001'
const SERVER_ID = '0193a0a0-0000-7000-8000-000000000002'
const ANOTHER_ID = '0193a0a0-0000-7000-8000-000000000003'
const PK = 'TEAM#acme#PROJECT#web'
const params = { team: 'acme', project: 'web' }
const PROJECT_KEY = { PK: 'TEAM#acme', SK: 'PROJECT#web' }
const PROJECT = { ...PROJECT_KEY, kind: 'Project', team: 'acme', name: 'web' }

const admin = adminJwt

async function storedEnrollmentToken(extra: Record<string, unknown> = {}) {
  const ref = { team: 'acme', project: 'web', id: TOKEN_ID }
  const { token, secret } = issueEnrollmentToken(ref, 'https://latchkey.example')
  const item = {
    PK,
    SK: `SET#${TOKEN_ID}`,
    kind: 'EnrollmentToken',
    ...ref,
    description: 'fleet',
    createdBy: 'ann',
    issuedAt: '2026-11-01T00:00:00.000Z',
    uses: 0,
    secretHash: sha256(secret),
    sealed: await sealer().seal(token, ref),
    ...extra,
  }
  return { token, secret, item }
}

beforeEach(() => {
  ddb.reset()
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
})

describe('enrollment tokens: calls and exact inputs', () => {
  it('creates with one transaction: the project open, the token sealed and hashed', async () => {
    ddb.on(TransactWriteCommand).resolves({})
    const reply = await invoke(createToken, {
      method: 'POST',
      url: '/v1/teams/acme/projects/web/server_enrollment_tokens',
      token: await admin(),
      params,
      body: { description: 'fleet', max_uses: 2 },
    })
    expect(reply.statusCode).toBe(201)
    expect(ddb.calls()).toHaveLength(routes.createEnrollmentToken.calls['service token'])
    const input = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input
    const [check, put] = input?.TransactItems ?? []
    expect(check?.ConditionCheck).toEqual({
      TableName: TABLE,
      Key: { PK: 'TEAM#acme', SK: 'PROJECT#web' },
      ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(deleting)',
    })
    expect(put?.Put?.ConditionExpression).toBe('attribute_not_exists(PK)')
    const item = put?.Put?.Item ?? {}
    expect(item).toMatchObject({ PK, kind: 'EnrollmentToken', maxUses: 2, uses: 0 })
    expect(JSON.stringify(item)).not.toContain(reply.json.token)
    const secret = JSON.parse(Buffer.from(reply.json.token, 'base64').toString()).s
    expect(item.secretHash).toBe(sha256(secret))
    expect(JSON.stringify(item)).not.toContain(secret)
  })

  it('answers 404 when the project is missing or closing', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'))
    const reply = await invoke(createToken, {
      method: 'POST',
      url: '/v1/teams/acme/projects/web/server_enrollment_tokens',
      token: await admin(),
      params,
      body: { description: 'fleet' },
    })
    expect(reply.statusCode).toBe(404)
  })

  it('fetches with one BatchGetItem of the token and its project, and opens the sealed token', async () => {
    const stored = await storedEnrollmentToken()
    ddb.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [stored.item, PROJECT] } })
    const reply = await invoke(getToken, {
      method: 'GET',
      url: `/v1/teams/acme/projects/web/server_enrollment_tokens/${TOKEN_ID}`,
      token: await admin(),
      params: { ...params, enrollmentTokenId: TOKEN_ID },
    })
    expect(reply.statusCode).toBe(200)
    expect(reply.json.token).toBe(stored.token)
    expect(ddb.calls()).toHaveLength(routes.getEnrollmentToken.calls['service token'])
    expect(ddb).toHaveReceivedCommandWith(BatchGetCommand, {
      RequestItems: {
        [TABLE]: {
          Keys: [{ PK, SK: `SET#${TOKEN_ID}` }, PROJECT_KEY],
          ConsistentRead: true,
        },
      },
    })
  })

  it('answers 404 for a token of a project being deleted, though the token is still stored', async () => {
    const stored = await storedEnrollmentToken()
    ddb
      .on(BatchGetCommand)
      .resolves({ Responses: { [TABLE]: [stored.item, { ...PROJECT, deleting: 'x' }] } })
    const reply = await invoke(getToken, {
      method: 'GET',
      url: `/v1/teams/acme/projects/web/server_enrollment_tokens/${TOKEN_ID}`,
      token: await admin(),
      params: { ...params, enrollmentTokenId: TOKEN_ID },
    })
    expect(reply.statusCode).toBe(404)
  })
})

describe('enrollment: calls and exact inputs', () => {
  const post = (token: string) =>
    invoke(enroll, {
      method: 'POST',
      url: '/v1/teams/acme/projects/web/servers',
      token,
      params,
      body: { hostname: 'web-01' },
    })

  it('costs one transaction that proves the token, counts the use, writes the server, checks the project', async () => {
    const stored = await storedEnrollmentToken({ maxUses: 5 })
    ddb.on(TransactWriteCommand).resolves({})
    const metrics: string[] = []
    setMetricsWriter((line) => metrics.push(line))
    const reply = await post(stored.token)
    setMetricsWriter(undefined)
    expect(reply.statusCode).toBe(201)
    expect(metrics.map((line) => JSON.parse(line))).toContainEqual(
      expect.objectContaining({ Enrollments: 1 }),
    )
    expect(ddb.calls()).toHaveLength(routes.enrollServer.calls.token)
    expect(ddb).not.toHaveReceivedCommand(GetCommand)
    const [use, server, project] =
      ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? []
    expect(use?.Update).toMatchObject({
      Key: { PK, SK: `SET#${TOKEN_ID}` },
      UpdateExpression: 'SET uses = uses + :one, lastUsedAt = :now',
      ConditionExpression:
        '(secretHash = :hash OR (previousHash = :hash AND previousValidUntil > :now)) AND (attribute_not_exists(maxUses) OR uses < maxUses) AND (attribute_not_exists(expiresAt) OR expiresAt > :now)',
      ExpressionAttributeValues: expect.objectContaining({ ':hash': sha256(stored.secret) }),
    })
    expect(server?.Put).toMatchObject({
      Item: expect.objectContaining({ PK, kind: 'Server', hostname: 'web-01' }),
      ConditionExpression: 'attribute_not_exists(PK)',
    })
    expect(JSON.stringify(server?.Put?.Item)).not.toContain(reply.json.server_token)
    expect(project?.ConditionCheck?.Key).toEqual({ PK: 'TEAM#acme', SK: 'PROJECT#web' })
  })

  it('retries a transaction conflict with another enrollment, then succeeds', async () => {
    const stored = await storedEnrollmentToken()
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled('TransactionConflict', 'None', 'None'))
      .resolves({})
    expect((await post(stored.token)).statusCode).toBe(201)
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(2)
  })

  it.each([
    ['an unknown, wrong, expired or used-up token', ['ConditionalCheckFailed', 'None', 'None']],
    ['a closing project', ['None', 'None', 'ConditionalCheckFailed']],
  ])('answers the same 401 in that one call for %s', async (_, reasons) => {
    const stored = await storedEnrollmentToken()
    ddb.on(TransactWriteCommand).rejects(cancelled(...reasons))
    const reply = await post(stored.token)
    expect(reply.statusCode).toBe(401)
    expect(reply.json.code).toBe('authentication_error')
    expect(ddb.calls()).toHaveLength(routes.enrollServer.calls['refused token']) // a refusal is not retried: its cost is bounded
  })

  it('refuses garbage and a token for another project with no call at all', async () => {
    expect((await post('not-a-token')).statusCode).toBe(401)
    const foreign = issueEnrollmentToken({ team: 'acme', project: 'other', id: TOKEN_ID }, 'x')
    expect((await post(foreign.token)).statusCode).toBe(401)
    expect(ddb.calls()).toHaveLength(routes.enrollServer.calls.garbage)
  })

  it('answers 503 with Retry-After when DynamoDB throttles, never 500', async () => {
    ddb.on(TransactWriteCommand).rejects(awsError('ProvisionedThroughputExceededException'))
    const stored = await storedEnrollmentToken()
    const reply = await post(stored.token)
    expect(reply.statusCode).toBe(503)
    expect(reply.headers?.['retry-after']).toBe('1')
  })
})

describe('heartbeat: calls and revocation', () => {
  const serverKey = { PK, SK: `SERVER#${SERVER_ID}` }
  const beat = (token: string) =>
    invoke(heartbeat, {
      method: 'POST',
      url: `/v1/teams/acme/projects/web/servers/${SERVER_ID}/heartbeat`,
      token,
      params: { ...params, serverId: SERVER_ID },
    })

  const standing = (
    project: Record<string, unknown> | undefined,
    server?: Record<string, unknown>,
    tombstone?: unknown,
  ) =>
    ddb.on(BatchGetCommand).resolves({
      Responses: {
        [TABLE]: [
          ...(project ? [project] : []),
          ...(server ? [server] : []),
          ...(tombstone
            ? [{ PK, SK: `TOMBSTONE#SERVER#${SERVER_ID}`, secretHash: tombstone }]
            : []),
        ],
      },
    })
  const stored = (secretHash: string) => ({
    ...serverKey,
    kind: 'Server',
    team: 'acme',
    project: 'web',
    id: SERVER_ID,
    hostname: 'web-01',
    registeredAt: '2026-11-01T00:00:00.000Z',
    secretHash,
  })

  it('reads project, server and deletion record in one BatchGetItem, then one conditional UpdateItem, the proof of the token', async () => {
    const { token, secret } = issueServerToken({ team: 'acme', project: 'web', id: SERVER_ID })
    ddb.on(UpdateCommand).resolves({})
    standing(PROJECT, stored(sha256(secret)))
    expect((await beat(token)).statusCode).toBe(204)
    expect(ddb.calls()).toHaveLength(routes.heartbeat.calls.ok)
    expect(ddb).toHaveReceivedCommandWith(BatchGetCommand, {
      RequestItems: {
        [TABLE]: {
          Keys: [PROJECT_KEY, serverKey, { PK, SK: `TOMBSTONE#SERVER#${SERVER_ID}` }],
          ConsistentRead: true,
        },
      },
    })
    // Exactly this: a refusal is one 401 whatever refused it, so no old item is asked back.
    expect(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: TABLE,
        Key: serverKey,
        UpdateExpression: 'SET lastSeen = :now',
        // the current token, or the one a rotation replaced while its grace period lasts
        ConditionExpression:
          '(secretHash = :hash OR (previousHash = :hash AND previousValidUntil > :now))',
        ExpressionAttributeValues: { ':now': expect.any(String), ':hash': sha256(secret) },
      },
    ])
  })

  it('tells a server of a project being deleted that its genuine token is revoked, writing nothing', async () => {
    const { token, secret } = issueServerToken({ team: 'acme', project: 'web', id: SERVER_ID })
    standing({ ...PROJECT, deleting: '2026-11-25T00:00:00.000Z' }, stored(sha256(secret)))
    const revoked = await beat(token)
    expect(revoked.statusCode).toBe(401)
    expect(revoked.json.code).toBe('server_authorization_revoked')
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand)
    const other = issueServerToken({ team: 'acme', project: 'web', id: SERVER_ID }).token
    expect((await beat(other)).json.code).toBe('authentication_error')
    expect(ddb.calls()).toHaveLength(2) // one BatchGetItem each
  })

  it('refuses another token for an existing server in its write', async () => {
    ddb.on(UpdateCommand).rejects(awsError('ConditionalCheckFailedException'))
    standing(PROJECT, stored('other'))
    const forged = issueServerToken({ team: 'acme', project: 'web', id: SERVER_ID }).token
    const reply = await beat(forged)
    expect(reply.statusCode).toBe(401)
    expect(reply.json.code).toBe('authentication_error')
    expect(ddb.calls()).toHaveLength(2)
  })

  it('answers the plain 401 to a genuine token whose server was deleted between its read and its write', async () => {
    const { token, secret } = issueServerToken({ team: 'acme', project: 'web', id: SERVER_ID })
    ddb.on(UpdateCommand).rejects(awsError('ConditionalCheckFailedException'))
    standing(PROJECT, stored(sha256(secret)))
    const reply = await beat(token)
    expect(reply.statusCode).toBe(401)
    expect(reply.json.code).toBe('authentication_error')
    expect(ddb.calls()).toHaveLength(2)
  })

  it('tells a deleted server its genuine token is revoked, and a forged one nothing, in the one read', async () => {
    const { token, secret } = issueServerToken({ team: 'acme', project: 'web', id: SERVER_ID })
    standing(PROJECT, undefined, sha256(secret))
    const revoked = await beat(token)
    expect(revoked.statusCode).toBe(401)
    expect(revoked.json.code).toBe('server_authorization_revoked')
    expect(ddb.calls()).toHaveLength(routes.heartbeat.calls['deleted server'])
    const forged = issueServerToken({ team: 'acme', project: 'web', id: SERVER_ID }).token
    const plain = await beat(forged)
    expect(plain.json.code).toBe('authentication_error')
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand)
  })

  it.each([
    ['another server', { team: 'acme', project: 'web', id: ANOTHER_ID }],
    ['another project', { team: 'acme', project: 'db', id: SERVER_ID }],
    ['another team', { team: 'evil', project: 'web', id: SERVER_ID }],
  ])('refuses a genuine token for %s with no call', async (_, ref) => {
    // Well formed, with a valid checksum: only the path check can refuse it.
    const reply = await beat(issueServerToken(ref).token)
    expect(reply.statusCode).toBe(401)
    expect(reply.json.code).toBe('authentication_error')
    expect(ddb.calls()).toHaveLength(0)
  })

  it('answers the plain 401 for a project that does not exist, in the one read', async () => {
    const { token } = issueServerToken({ team: 'acme', project: 'web', id: SERVER_ID })
    standing(undefined)
    const reply = await beat(token)
    expect(reply.statusCode).toBe(401)
    expect(reply.json.code).toBe('authentication_error')
    expect(ddb.calls()).toHaveLength(1)
  })

  it('answers 503 when its write is throttled, never reading that as a wrong token', async () => {
    const { token, secret } = issueServerToken({ team: 'acme', project: 'web', id: SERVER_ID })
    standing(PROJECT, stored(sha256(secret)))
    ddb.on(UpdateCommand).rejects(awsError('ThrottlingException'))
    const reply = await beat(token)
    expect(reply.statusCode).toBe(503)
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1)
  })

  it('refuses garbage with no call', async () => {
    expect((await beat('lks_garbage')).statusCode).toBe(401)
    expect(ddb.calls()).toHaveLength(0)
  })
})
