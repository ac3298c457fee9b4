import { generateKeyPairSync, sign } from 'node:crypto'
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { handler as rotateEnrollment } from '../../../functions/enrollment-tokens/rotate.js'
import { handler as revoke } from '../../../functions/secret-scanning/revoke.js'
import { handler as rotateServer } from '../../../functions/servers/rotate-token.js'
import { handler as getPolicy } from '../../../functions/token-policy/get.js'
import { handler as putPolicy } from '../../../functions/token-policy/put.js'
import { handler as create } from '../../../functions/tokens/create.js'
import { handler as rotateToken } from '../../../functions/tokens/rotate.js'
import { config } from '../../../shared/context.js'
import { listedBytes } from '../../../shared/data/access-tokens.js'
import { AccessToken } from '../../../shared/data/entities.js'
import { keys } from '../../../shared/data/keys.js'
import type { HttpHandler } from '../../../shared/http/stack.js'
import { sealer } from '../../../shared/keys/sealing.js'
import { routes } from '../../../shared/routes.js'
import { sha256 } from '../../../shared/tokens/crypto.js'
import { issueEnrollmentToken } from '../../../shared/tokens/enrollment-token.js'
import { issueServerToken } from '../../../shared/tokens/server-token.js'
import { cancelled, conditionFailed } from '../../support/aws-errors.js'
import { invoke } from '../../support/invoke.js'
import { adminJwt } from '../../support/jwt.js'
import { storedToken, tokenLookup } from '../../support/tokens.js'

/**
 * Rotation, the token policy and leak revocation: DynamoDB calls and their exact
 * inputs. The secret-scanning keys are configured before its handler loads (its cold
 * start reads them).
 */
const ddb = mockClient(DynamoDBDocumentClient)
const TABLE = 'latchkey-unit'
const NOW = new Date('2026-11-22T10:00:00.000Z')
const TOKEN_ID = '0193a0a0-0000-7000-8000-000000000001'
const SERVER_ID = '0193a0a0-0000-7000-8000-000000000002'
// The tier's context is installed before this file loads (test/unit/setup.ts): add the
// key GitHub would sign with to its configuration, as GITHUB_SECRET_SCANNING_KEYS would.
const github = generateKeyPairSync('ec', { namedCurve: 'P-256' })
;(config().secretScanningKeys as Map<string, string>).set(
  'k1',
  github.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
)
const handlers: Record<string, HttpHandler> = {
  'tokens/rotate': rotateToken,
  'tokens/create': create,
  'enrollment-tokens/rotate': rotateEnrollment,
  'servers/rotate-token': rotateServer,
  'token-policy/get': getPolicy,
  'token-policy/put': putPolicy,
  'secret-scanning/revoke': revoke,
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

const handler = (name: string) => {
  const found = handlers[name]
  if (!found) throw new Error(`no handler ${name}`)
  return found
}

describe('POST /api/tokens/{tokenId}/rotate', () => {
  const rotate = (token: string, body?: unknown) =>
    invoke(handler('tokens/rotate'), {
      method: 'POST',
      url: '/api/tokens/3/rotate',
      token,
      params: { tokenId: '3' },
      body,
    })

  it('is the lookup and one UpdateItem after authentication, keeping the old hash until the grace ends', async () => {
    const caller = storedToken({ lastUsed: NOW.toISOString() })
    const target = storedToken({ id: 3 })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(caller.item, target.item))
    ddb.on(UpdateCommand).resolves({ Attributes: { ...target.item, rotatedAt: NOW.toISOString() } })
    const reply = await rotate(caller.token, { expireOldInSeconds: 600 })
    expect(reply.statusCode).toBe(200)
    // the caller's token, the target with its user's revocation mark, the rotation
    expect(ddb.calls()).toHaveLength(routes.rotateAccessToken.calls['personal token'])
    const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input
    expect(input).toEqual({
      TableName: TABLE,
      Key: target.key,
      UpdateExpression:
        'SET previousHash = secretHash, previousValidUntil = :until, secretHash = :newHash, rotatedAt = :rotatedAt',
      ConditionExpression:
        'attribute_exists(PK) AND attribute_not_exists(leakedAt) AND (attribute_not_exists(expiresAt) OR expiresAt > :rotatedAt)',
      ExpressionAttributeValues: {
        ':newHash': expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        ':rotatedAt': NOW.toISOString(),
        ':until': '2026-11-22T10:10:00.000Z',
      },
      ReturnValues: 'ALL_NEW',
    })
    const secret = reply.json.accessKey.slice(-49, -6)
    expect(input?.ExpressionAttributeValues?.[':newHash']).toBe(sha256(secret))
    expect(JSON.stringify(input)).not.toContain(secret)
    expect(reply.json.token).toMatchObject({ id: 3, name: 'token 3', token: null })
  })

  it('drops any previous hash without a grace, and answers 404 when the condition refuses', async () => {
    const caller = storedToken({ lastUsed: NOW.toISOString() })
    const target = storedToken({ id: 3 })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(caller.item, target.item))
    ddb.on(UpdateCommand).rejects(conditionFailed())
    const reply = await rotate(caller.token)
    expect(reply.statusCode).toBe(404)
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input.UpdateExpression).toBe(
      'SET secretHash = :newHash, rotatedAt = :rotatedAt REMOVE previousHash, previousValidUntil',
    )
  })

  it('answers 404 for a token a delete-all revoked, rotating nothing', async () => {
    const caller = storedToken({ id: 9, lastUsed: NOW.toISOString() })
    const target = storedToken({ id: 3 })
    const mark = {
      ...keys.tokenRevocation('acme', 'alice'),
      kind: 'TokenRevocation',
      revokedThrough: 8,
    }
    ddb.on(BatchGetCommand).callsFake(tokenLookup(caller.item, target.item, mark))
    const reply = await rotate(caller.token)
    expect(reply.statusCode).toBe(404)
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 0)
  })
})

describe('verification during a grace period', () => {
  it('accepts the previous secret until previousValidUntil with exactly one lookup, then refuses it', async () => {
    const { findAccessToken } = await import('../../../shared/domain/access-tokens.js')
    const old = storedToken({ id: 4 })
    const current = storedToken({ id: 4 })
    const item = {
      ...current.item,
      previousHash: old.item.secretHash,
      previousValidUntil: '2026-11-22T11:00:00.000Z',
    }
    ddb.on(BatchGetCommand).callsFake(tokenLookup(item))
    expect(await findAccessToken(old.token, NOW)).toMatchObject({ id: 4 })
    expect(ddb.calls()).toHaveLength(1) // the token and its user's revocation mark, together
    expect(await findAccessToken(current.token, NOW)).toMatchObject({ id: 4 })
    expect(await findAccessToken(old.token, new Date('2026-11-22T11:00:00.000Z'))).toBe('NOT_FOUND')
    ddb.on(BatchGetCommand).callsFake(tokenLookup({ ...item, leakedAt: NOW.toISOString() }))
    expect(await findAccessToken(current.token, NOW)).toBe('REVOKED')
    // A delete-all's mark revokes it whichever secret, in its grace or not.
    const mark = {
      ...keys.tokenRevocation('acme', 'alice'),
      kind: 'TokenRevocation',
      revokedThrough: 4,
    }
    ddb.on(BatchGetCommand).callsFake(tokenLookup(item, mark))
    expect(await findAccessToken(old.token, NOW)).toBe('NOT_FOUND')
    expect(await findAccessToken(current.token, NOW)).toBe('NOT_FOUND')
  })
})

describe('POST /api/tokens under the team policy', () => {
  const POLICY_KEY = { PK: 'TEAM#acme', SK: 'TOKENPOLICY' }
  const USER_KEY = { PK: 'TEAM#acme', SK: 'USER#alice' }

  it('recounts once when the quota is full: count and bytes, the tokens, a conditional set', async () => {
    const caller = storedToken({ lastUsed: NOW.toISOString() })
    const held = [1, 2, 7].map((id) => storedToken({ id }).item)
    const bytes = (ids: number[]) =>
      held
        .filter((item) => ids.includes(item.id))
        .reduce((sum, item) => sum + listedBytes(AccessToken.decode(item)), 0)
    ddb.on(BatchGetCommand).callsFake(tokenLookup(caller.item))
    ddb.on(GetCommand, { Key: POLICY_KEY }).resolves({ Item: { maxTokensPerUser: 3 } })
    ddb
      .on(GetCommand, { Key: USER_KEY })
      .resolves({ Item: { tokenCount: 3, tokenBytes: bytes([1, 2, 7]) } })
    ddb.on(UpdateCommand).resolves({ Attributes: { tokenSeq: 9 } })
    // Live tokens only count: the mark revoked token 1 (not yet swept).
    ddb.on(QueryCommand).resolves({
      Items: [{ kind: 'TokenRevocation', revokedThrough: 1 }, ...held],
    })
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled('None', 'None', 'ConditionalCheckFailed'))
      .resolves({})
    const reply = await invoke(handler('tokens/create'), {
      method: 'POST',
      url: '/api/tokens',
      token: caller.token,
      body: { name: 'ci' },
    })
    expect(reply.statusCode).toBe(200)
    expect(ddb).toHaveReceivedCommandWith(GetCommand, {
      TableName: TABLE,
      Key: USER_KEY,
      // the refusal's one read: count, bytes, and the mark's mirror (no delete-all here)
      ProjectionExpression: 'tokenCount, tokenBytes, revokedThrough',
      ConsistentRead: true,
    })
    expect(ddb).toHaveReceivedCommandTimes(GetCommand, 2) // the policy; the user item once
    // Whole items: their listed bytes are measured from them.
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': 'TEAM#acme#USER#alice', ':prefix': 'PAT#' },
      ConsistentRead: true,
    })
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: TABLE,
      Key: USER_KEY,
      UpdateExpression: 'SET tokenCount = :count, tokenBytes = :bytes',
      ConditionExpression: 'tokenCount = :counted AND tokenBytes = :measured',
      ExpressionAttributeValues: {
        ':count': 2,
        ':bytes': bytes([2, 7]),
        ':counted': 3,
        ':measured': bytes([1, 2, 7]),
      },
    })
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 2)
  })

  it('refuses 403 quota_exceeded when the recount finds the quota truly full, writing nothing more', async () => {
    const caller = storedToken({ lastUsed: NOW.toISOString() })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(caller.item))
    ddb.on(GetCommand, { Key: POLICY_KEY }).resolves({ Item: { maxTokensPerUser: 2 } })
    const held = [1, 2].map((id) => storedToken({ id }).item)
    const bytes = held.reduce((sum, item) => sum + listedBytes(AccessToken.decode(item)), 0)
    ddb.on(GetCommand, { Key: USER_KEY }).resolves({ Item: { tokenCount: 2, tokenBytes: bytes } })
    ddb.on(UpdateCommand).resolves({ Attributes: { tokenSeq: 9 } })
    ddb.on(QueryCommand).resolves({ Items: held })
    ddb.on(TransactWriteCommand).rejects(cancelled('None', 'None', 'ConditionalCheckFailed'))
    const reply = await invoke(handler('tokens/create'), {
      method: 'POST',
      url: '/api/tokens',
      token: caller.token,
      body: { name: 'ci' },
    })
    expect(reply.statusCode).toBe(403)
    expect(reply.json.code).toBe('quota_exceeded')
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1)
    // only the id counter was updated; the count was not touched
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1)
  })
})

const admin = adminJwt

describe('token policy routes', () => {
  it('reads the policy with one strongly consistent GetItem, defaults when unset', async () => {
    ddb.on(GetCommand).resolves({})
    const reply = await invoke(handler('token-policy/get'), {
      method: 'GET',
      url: '/v1/teams/acme/token_policy',
      token: await admin(),
      params: { team: 'acme' },
    })
    expect(reply.statusCode).toBe(200)
    expect(reply.json).toEqual({
      maxLifetimeDays: null,
      maxTokensPerUser: 1000,
      allowedScopes: null,
      inactiveDays: null,
    })
    expect(ddb.calls()).toHaveLength(1)
    expect(ddb).toHaveReceivedCommandWith(GetCommand, {
      TableName: TABLE,
      Key: { PK: 'TEAM#acme', SK: 'TOKENPOLICY' },
      ConsistentRead: true,
    })
  })

  it('replaces it with one PutItem recording who and when', async () => {
    ddb.on(PutCommand).resolves({})
    const reply = await invoke(handler('token-policy/put'), {
      method: 'PUT',
      url: '/v1/teams/acme/token_policy',
      token: await admin(),
      params: { team: 'acme' },
      body: { maxLifetimeDays: 90, allowedScopes: ['a', 'b'] },
    })
    expect(reply.statusCode).toBe(200)
    expect(ddb.calls()).toHaveLength(1)
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: {
        PK: 'TEAM#acme',
        SK: 'TOKENPOLICY',
        kind: 'TokenPolicy',
        team: 'acme',
        maxLifetimeDays: 90,
        maxTokensPerUser: 1000,
        allowedScopes: ['a', 'b'],
        // Not set: absent (as its declaration stores every null), read back as null.
        updatedBy: 'ann',
        updatedAt: NOW.toISOString(),
      },
    })
  })
})

describe('rotating enrollment and server tokens', () => {
  const enrollmentToken = {
    ...keys.enrollmentToken('acme', 'web', TOKEN_ID),
    kind: 'EnrollmentToken',
    team: 'acme',
    project: 'web',
    id: TOKEN_ID,
    description: 'fleet',
    createdBy: 'ann',
    issuedAt: NOW.toISOString(),
    uses: 3,
    secretHash: 'old',
    sealed: 'old sealed',
  }
  const project = (extra: Record<string, unknown> = {}) => ({
    ...keys.project('acme', 'web'),
    kind: 'Project',
    name: 'web',
    ...extra,
  })
  const rotateEnrollmentToken = async () =>
    invoke(handler('enrollment-tokens/rotate'), {
      method: 'POST',
      url: `/v1/teams/acme/projects/web/server_enrollment_tokens/${TOKEN_ID}/rotate`,
      token: await admin(),
      params: { team: 'acme', project: 'web', enrollmentTokenId: TOKEN_ID },
    })

  it('rotates an enrollment token: read with its project, then one transaction with the project open', async () => {
    ddb.on(BatchGetCommand).callsFake(tokenLookup(enrollmentToken, project()))
    ddb.on(TransactWriteCommand).resolves({})
    const reply = await rotateEnrollmentToken()
    expect(reply.statusCode).toBe(200)
    expect(reply.json).toMatchObject({ id: TOKEN_ID, description: 'fleet', uses: 3 })
    expect(ddb.calls()).toHaveLength(routes.rotateEnrollmentToken.calls['service token'])
    expect(ddb.commandCalls(BatchGetCommand)[0]?.args[0].input).toEqual({
      RequestItems: {
        [TABLE]: {
          Keys: [keys.enrollmentToken('acme', 'web', TOKEN_ID), keys.project('acme', 'web')],
          ConsistentRead: true,
        },
      },
    })
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems
    expect(items).toEqual([
      {
        ConditionCheck: {
          TableName: TABLE,
          Key: keys.project('acme', 'web'),
          ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(deleting)',
        },
      },
      {
        Update: {
          TableName: TABLE,
          Key: { PK: 'TEAM#acme#PROJECT#web', SK: `SET#${TOKEN_ID}` },
          UpdateExpression:
            'SET secretHash = :newHash, rotatedAt = :rotatedAt, sealed = :sealed, rotatedBy = :by REMOVE previousHash, previousValidUntil',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeValues: {
            ':newHash': expect.any(String),
            ':rotatedAt': NOW.toISOString(),
            ':sealed': expect.any(String),
            ':by': 'ann',
          },
        },
      },
    ])
    const values = items?.[1]?.Update?.ExpressionAttributeValues
    const secret = JSON.parse(Buffer.from(reply.json.token, 'base64').toString()).s
    expect(values?.[':newHash']).toBe(sha256(secret))
    const ref = { team: 'acme', project: 'web', id: TOKEN_ID }
    expect(await sealer().unseal(values?.[':sealed'], ref)).toBe(reply.json.token)
  })

  it('refuses to rotate an enrollment token of a project being deleted: 404, nothing written', async () => {
    ddb.on(BatchGetCommand).callsFake(tokenLookup(enrollmentToken, project({ deleting: 'x' })))
    const reply = await rotateEnrollmentToken()
    expect(reply.statusCode).toBe(404)
    expect(reply.json).toMatchObject({
      code: 'resource_does_not_exist',
      message: 'The project does not exist.',
    })
    expect(ddb.calls()).toHaveLength(1) // the read: no transaction
  })

  it('answers 404 naming the token when the project is open and the token is not there', async () => {
    ddb.on(BatchGetCommand).callsFake(tokenLookup(project()))
    const reply = await rotateEnrollmentToken()
    expect(reply.statusCode).toBe(404)
    expect(reply.json.message).toBe('The server enrollment token does not exist.')
    expect(ddb.calls()).toHaveLength(1)
  })

  it.each([
    ['project', ['ConditionalCheckFailed', 'None'], 'The project does not exist.'],
    ['token', ['None', 'ConditionalCheckFailed'], 'The server enrollment token does not exist.'],
  ])(
    'answers 404 when its %s went between the read and the rotation',
    async (_, codes, message) => {
      ddb.on(BatchGetCommand).callsFake(tokenLookup(enrollmentToken, project()))
      ddb.on(TransactWriteCommand).rejects(cancelled(...codes))
      const reply = await rotateEnrollmentToken()
      expect(reply.statusCode).toBe(404)
      expect(reply.json.message).toBe(message)
    },
  )

  const rotateOwn = (token: string) =>
    invoke(handler('servers/rotate-token'), {
      method: 'POST',
      url: `/v1/teams/acme/projects/web/servers/${SERVER_ID}/rotate_token`,
      token,
      params: { team: 'acme', project: 'web', serverId: SERVER_ID },
      body: { expireOldInSeconds: 60 },
    })
  it("rotates a server's token in one transaction: proved by its current hash, its project open", async () => {
    const { token, secret } = issueServerToken({ team: 'acme', project: 'web', id: SERVER_ID })
    ddb.on(TransactWriteCommand).resolves({})
    const reply = await rotateOwn(token)
    expect(reply.statusCode).toBe(200)
    expect(reply.json.server_token).toMatch(/^lks_/)
    expect(ddb.calls()).toHaveLength(routes.rotateServerToken.calls.ok)
    expect(ddb).toHaveReceivedCommandWith(TransactWriteCommand, {
      TransactItems: [
        {
          Update: {
            TableName: TABLE,
            Key: { PK: 'TEAM#acme#PROJECT#web', SK: `SERVER#${SERVER_ID}` },
            UpdateExpression:
              'SET previousHash = secretHash, previousValidUntil = :until, secretHash = :newHash, rotatedAt = :rotatedAt',
            ConditionExpression: 'secretHash = :hash',
            ExpressionAttributeValues: {
              ':newHash': sha256(reply.json.server_token.slice(-49, -6)),
              ':rotatedAt': NOW.toISOString(),
              ':until': '2026-11-22T10:01:00.000Z',
              ':hash': sha256(secret),
            },
          },
        },
        {
          ConditionCheck: {
            TableName: TABLE,
            Key: { PK: 'TEAM#acme', SK: 'PROJECT#web' },
            ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(deleting)',
          },
        },
      ],
    })
  })

  it('tells a server whose project is being deleted that its genuine token is revoked, in that one call', async () => {
    const { token } = issueServerToken({ team: 'acme', project: 'web', id: SERVER_ID })
    ddb.on(TransactWriteCommand).rejects(cancelled('None', 'ConditionalCheckFailed'))
    const reply = await rotateOwn(token)
    expect(reply.statusCode).toBe(401)
    expect(reply.json.code).toBe('server_authorization_revoked')
    expect(ddb.calls()).toHaveLength(1)
  })

  it('answers a wrong secret for an existing server with the plain 401 after its deletion record', async () => {
    const { token } = issueServerToken({ team: 'acme', project: 'web', id: SERVER_ID })
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'))
    ddb.on(GetCommand).resolves({})
    const reply = await rotateOwn(token)
    expect(reply.statusCode).toBe(401)
    expect(reply.json.code).toBe('authentication_error')
    expect(ddb.calls()).toHaveLength(routes.rotateServerToken.calls['deleted server'])
  })
})

describe('POST /v1/secret-scanning/revoke', () => {
  const post = (reports: unknown, key = github.privateKey) => {
    const body = JSON.stringify(reports)
    return invoke(handler('secret-scanning/revoke'), {
      method: 'POST',
      url: '/v1/secret-scanning/revoke',
      body,
      headers: {
        'github-public-key-identifier': 'k1',
        'github-public-key-signature': sign('sha256', Buffer.from(body), key).toString('base64'),
      },
    })
  }
  const entry = (token: string) => ({ token, type: 't', url: 'https://u', source: 'content' })

  it('refuses a report signed by another key with 401 and no call', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const reply = await post([entry('x')], other.privateKey)
    expect(reply.statusCode).toBe(401)
    expect(ddb.calls()).toHaveLength(0)
  })

  it('spends no call on garbage and other formats', async () => {
    const stored = storedToken()
    const badChecksum = `${stored.token.slice(0, -1)}${stored.token.endsWith('0') ? '1' : '0'}`
    const reply = await post([
      entry('garbage'),
      entry(badChecksum),
      entry('ghp_abc'),
      entry('lks_x'),
    ])
    expect(reply.statusCode).toBe(200)
    expect(reply.json.map((f: { label: string }) => f.label)).toEqual([
      'false_positive',
      'false_positive',
      'false_positive',
      'false_positive',
    ])
    expect(ddb.calls()).toHaveLength(0)
  })

  it('revokes a token reported twice once, labelling both entries alike', async () => {
    const personal = storedToken({ id: 5 })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(personal.item))
    // Only the first write finds the token unleaked, as DynamoDB would answer a second.
    ddb.on(UpdateCommand).resolvesOnce({}).rejects(conditionFailed())
    const reply = await post([entry(personal.token), entry('garbage'), entry(personal.token)])
    expect(reply.statusCode).toBe(200)
    expect(reply.json.map((f: { label: string }) => f.label)).toEqual([
      'true_positive',
      'false_positive',
      'true_positive',
    ])
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1)
  })

  it('labels a personal token a delete-all revoked false_positive, writing nothing', async () => {
    const personal = storedToken({ id: 5 })
    const mark = {
      ...keys.tokenRevocation('acme', 'alice'),
      kind: 'TokenRevocation',
      revokedThrough: 5,
    }
    ddb.on(BatchGetCommand).callsFake(tokenLookup(personal.item, mark))
    const reply = await post([entry(personal.token)])
    expect(reply.statusCode).toBe(200)
    expect(reply.json.map((f: { label: string }) => f.label)).toEqual(['false_positive'])
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 0)
  })

  it('reads our tokens in one BatchGetItem, then revokes each live one with one conditional write', async () => {
    const personal = storedToken({ id: 5 })
    const unknown = storedToken({ id: 6 })
    const server = issueServerToken({ team: 'acme', project: 'web', id: SERVER_ID })
    const serverKey = { PK: 'TEAM#acme#PROJECT#web', SK: `SERVER#${SERVER_ID}` }
    const enrollment = issueEnrollmentToken(
      { team: 'acme', project: 'web', id: TOKEN_ID },
      'https://l.example',
    )
    const serverItem = {
      ...serverKey,
      team: 'acme',
      project: 'web',
      id: SERVER_ID,
      hostname: 'h',
      registeredAt: NOW.toISOString(),
      secretHash: sha256(server.secret),
    }
    ddb.on(BatchGetCommand).resolves({
      Responses: { [TABLE]: [personal.item, serverItem] },
    })
    ddb.on(UpdateCommand).resolves({})
    ddb.on(TransactWriteCommand).resolves({})
    const reply = await post([
      entry(personal.token),
      entry(unknown.token),
      entry(server.token),
      entry(enrollment.token),
    ])
    expect(reply.statusCode).toBe(200)
    expect(reply.json.map((f: { label: string }) => f.label)).toEqual([
      'true_positive',
      'false_positive',
      'true_positive',
      'false_positive', // not found in the table
    ])
    expect(ddb).toHaveReceivedCommandTimes(BatchGetCommand, 1)
    expect(ddb).toHaveReceivedCommandWith(BatchGetCommand, {
      RequestItems: {
        [TABLE]: {
          Keys: [
            personal.key,
            keys.tokenRevocation('acme', 'alice'), // its user's delete-all mark, read once
            unknown.key,
            serverKey,
            { PK: 'TEAM#acme#PROJECT#web', SK: `SET#${TOKEN_ID}` },
          ],
          ConsistentRead: true,
        },
      },
    })
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: TABLE,
      Key: personal.key,
      UpdateExpression:
        'SET leakedAt = :now, leakUrl = :url, leakSource = :source REMOVE previousHash, previousValidUntil',
      ConditionExpression:
        'attribute_not_exists(leakedAt) AND (secretHash = :hash OR (previousHash = :hash AND previousValidUntil > :now))',
      ExpressionAttributeValues: {
        ':now': NOW.toISOString(),
        ':url': 'https://u',
        ':source': 'content',
        ':hash': personal.item.secretHash,
      },
    })
    const [remove, tombstone] =
      ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? []
    expect(remove?.Delete).toEqual({
      TableName: TABLE,
      Key: serverKey,
      ConditionExpression:
        '(secretHash = :hash OR (previousHash = :hash AND previousValidUntil > :now))',
      ExpressionAttributeValues: { ':hash': sha256(server.secret), ':now': NOW.toISOString() },
    })
    expect(tombstone?.Put?.Item).toMatchObject({
      PK: serverKey.PK,
      SK: `TOMBSTONE#${serverKey.SK}`,
      kind: 'Tombstone',
      entity: 'Server',
      reason: 'leaked',
      deletedBy: 'secret-scanning',
      leakUrl: 'https://u',
      leakSource: 'content',
    })
    expect(ddb.calls()).toHaveLength(3)
  })
})
