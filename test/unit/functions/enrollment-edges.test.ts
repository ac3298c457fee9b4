import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { handler as createToken } from '../../../functions/enrollment-tokens/create.js'
import { handler as deleteToken } from '../../../functions/enrollment-tokens/delete.js'
import { handler as getToken } from '../../../functions/enrollment-tokens/get.js'
import { handler as listTokens } from '../../../functions/enrollment-tokens/list.js'
import { handler as enroll } from '../../../functions/servers/enroll.js'
import { handler as heartbeat } from '../../../functions/servers/heartbeat.js'
import { keys } from '../../../shared/data/keys.js'
import { claimServer } from '../../../shared/domain/servers.js'
import { MAX_BODY_BYTES } from '../../../shared/http/middleware/parse-body.js'
import { sealer } from '../../../shared/keys/sealing.js'
import { setMetricsWriter } from '../../../shared/metrics.js'
import { sha256 } from '../../../shared/tokens/crypto.js'
import { issueEnrollmentToken } from '../../../shared/tokens/enrollment-token.js'
import { issueServerToken } from '../../../shared/tokens/server-token.js'
import { cancelled } from '../../support/aws-errors.js'
import { invoke } from '../../support/invoke.js'
import { adminJwt } from '../../support/jwt.js'

/**
 * The edges of enrollment, as an agent and an admin meet them, with the test's clock:
 * the token's expiry and last use to the unit, a token or server token presented
 * at another project or server, and what a new enrollment token says about itself.
 */

const ddb = mockClient(DynamoDBDocumentClient)
const NOW = new Date('2026-11-25T10:00:00.000Z')
const TOKEN_ID = '0193a0a0-0000-7000-8000-000000000001'
const SERVER_ID = '0193a0a0-0000-7000-8000-000000000002'
const OTHER_ID = '0193a0a0-0000-7000-8000-000000000003'
const params = { team: 'acme', project: 'web' }
const unauthorized = {
  code: 'authentication_error',
  message: 'The credentials are missing, invalid, expired or revoked.',
}

const admin = adminJwt

async function stored(extra: Record<string, unknown> = {}, ref = { ...params, id: TOKEN_ID }) {
  const { token, secret } = issueEnrollmentToken(ref, 'https://latchkey.example')
  const item = {
    ...keys.enrollmentToken(ref.team, ref.project, ref.id),
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
  ddb.on(GetCommand).resolves({ Item: item })
  ddb.on(TransactWriteCommand).resolves({})
  return { token, secret, item }
}

const enrollWith = (token: string, body: unknown = { hostname: 'web-01' }, path = params) =>
  invoke(enroll, {
    method: 'POST',
    url: `/v1/teams/${path.team}/projects/${path.project}/servers`,
    token,
    params: path,
    body,
  })

beforeEach(() => {
  ddb.reset()
  setMetricsWriter(() => {})
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(NOW)
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('enrolling with a token', () => {
  it('answers a new server with its record and its own token, naming the token it used', async () => {
    const { token } = await stored()
    const reply = await enrollWith(token, {
      hostname: 'web-01',
      os: 'linux',
      canonical_name: 'web-01.example',
      instance_details: { zone: 'a' },
    })
    expect(reply.statusCode).toBe(201)
    expect(reply.json.server).toMatchObject({
      hostname: 'web-01',
      os: 'linux',
      canonical_name: 'web-01.example',
      instance_details: { zone: 'a' },
      project_name: 'web',
      team_name: 'acme',
      enrollment_token_id: TOKEN_ID,
      registered_at: NOW.toISOString(),
      last_seen: null,
      cloud_provider: null,
      cloud_account: null,
      instance_id: null,
    })
    expect(reply.json.server.id.slice(0, 8)).toBe(
      NOW.getTime().toString(16).padStart(12, '0').slice(0, 8),
    )
    expect(reply.json.server_token).toMatch(/^lks_/)
    // The token is this server's: it proves itself at the server's own path.
    const serverPath = { ...params, serverId: reply.json.server.id }
    expect(claimServer(reply.json.server_token, serverPath)).toEqual({
      kind: 'server',
      team: 'acme',
      project: 'web',
      serverId: reply.json.server.id,
      secretHash: expect.stringMatching(/^[\w-]{43}$/),
    })
    // Optional fields absent: null, not missing.
    ddb.reset()
    const bare = await enrollWith((await stored()).token)
    expect(bare.json.server).toMatchObject({
      os: null,
      canonical_name: null,
      instance_details: null,
    })
  })

  it('refuses a token and an aws_iam proof together with 400 naming aws_iam', async () => {
    const { token } = await stored()
    const signed = { method: 'POST', url: 'https://sts.amazonaws.com/', headers: {}, body: '' }
    const reply = await enrollWith(token, { hostname: 'web-01', aws_iam: signed })
    expect(reply.statusCode).toBe(400)
    expect(reply.json).toMatchObject({
      code: 'invalid_request',
      message: 'Send an enrollment token or aws_iam, not both.',
    })
    expect(reply.json.errors).toEqual([
      { description: 'aws_iam', message: 'not with an enrollment token' },
    ])
    expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand)
  })

  it.each([
    ['another project', { team: 'acme', project: 'api' }],
    ['another team', { team: 'evil', project: 'web' }],
  ])("refuses a token at %s's path with no call", async (_, path) => {
    const { token } = await stored()
    ddb.resetHistory()
    const reply = await enrollWith(token, { hostname: 'web-01' }, path)
    expect(reply.statusCode).toBe(401)
    expect(ddb.calls()).toHaveLength(0)
  })
})

describe("a server's own token", () => {
  const beat = (token: string, serverId = SERVER_ID, path = params) =>
    invoke(heartbeat, {
      method: 'POST',
      url: `/v1/teams/${path.team}/projects/${path.project}/servers/${serverId}/heartbeat`,
      token,
      params: { ...path, serverId },
    })

  it.each([
    ['another server', OTHER_ID, params],
    ['another project', SERVER_ID, { team: 'acme', project: 'api' }],
    ['another team', SERVER_ID, { team: 'evil', project: 'web' }],
  ])("is refused at %s's path with no call", async (_, serverId, path) => {
    const { token } = issueServerToken({ ...params, id: SERVER_ID })
    const reply = await beat(token, serverId, path)
    expect(reply.statusCode).toBe(401)
    expect(reply.json).toMatchObject(unauthorized)
    expect(ddb.calls()).toHaveLength(0)
  })

  it('records the heartbeat at the time it arrives, proved by its hash', async () => {
    const { token, secret } = issueServerToken({ ...params, id: SERVER_ID })
    ddb.on(UpdateCommand).resolves({})
    const project = { ...keys.project('acme', 'web'), kind: 'Project' }
    const server = {
      ...keys.server('acme', 'web', SERVER_ID),
      kind: 'Server',
      team: 'acme',
      project: 'web',
      id: SERVER_ID,
      hostname: 'h',
      registeredAt: NOW.toISOString(),
      secretHash: sha256(secret),
    }
    ddb.on(BatchGetCommand).resolves({ Responses: { 'latchkey-unit': [project, server] } })
    const reply = await beat(token)
    expect(reply.statusCode).toBeLessThan(300)
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      Key: keys.server('acme', 'web', SERVER_ID),
      ExpressionAttributeValues: expect.objectContaining({
        ':hash': sha256(secret),
        ':now': NOW.toISOString(),
      }),
    })
  })
})

describe('a new enrollment token', () => {
  const create = async (body: Record<string, unknown>) =>
    invoke(createToken, {
      method: 'POST',
      url: '/v1/teams/acme/projects/web/server_enrollment_tokens',
      token: await admin(),
      params,
      body,
    })

  it('says when it expires, how often it may be used, by whom and when it was made', async () => {
    ddb.on(TransactWriteCommand).resolves({})
    const reply = await create({ description: 'fleet', expires_in_seconds: 3600, max_uses: 5 })
    expect(reply.statusCode).toBe(201)
    expect(reply.json).toMatchObject({
      description: 'fleet',
      created_by_user: 'ann',
      issued_at: NOW.toISOString(),
      expires_at: '2026-11-25T11:00:00.000Z',
      max_uses: 5,
      uses: 0,
      last_used_at: null,
    })
    const decoded = JSON.parse(Buffer.from(reply.json.token, 'base64').toString())
    expect(decoded).toMatchObject({ t: 'acme', p: 'web', i: reply.json.id })
    const open = await create({ description: 'open' })
    expect(open.json).toMatchObject({ expires_at: null, max_uses: null })
  })

  it('answers 404 naming the token when it does not exist', async () => {
    ddb.on(BatchGetCommand).resolves({ Responses: {} })
    const reply = await invoke(getToken, {
      method: 'GET',
      url: `/v1/teams/acme/projects/web/server_enrollment_tokens/${TOKEN_ID}`,
      token: await admin(),
      params: { ...params, enrollmentTokenId: TOKEN_ID },
    })
    expect(reply.statusCode).toBe(404)
    expect(reply.json).toMatchObject({
      code: 'resource_does_not_exist',
      message: 'The server enrollment token does not exist.',
    })
  })

  it('answers 404 naming the project when the project is missing or closing', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'))
    const reply = await create({ description: 'fleet' })
    expect(reply.statusCode).toBe(404)
    expect(reply.json).toMatchObject({ message: 'The project does not exist.' })
  })
})

describe("listing a project's enrollment tokens", () => {
  const list = async (query = '') =>
    invoke(listTokens, {
      method: 'GET',
      url: `/v1/teams/acme/projects/web/server_enrollment_tokens${query}`,
      token: await admin(),
      params,
    })
  const project = { ...keys.project('acme', 'web'), kind: 'Project', team: 'acme', name: 'web' }

  it('reads a page of its partition beside the project, each token opened for its view', async () => {
    const { token, item } = await stored({ maxUses: 5 })
    ddb.on(QueryCommand).resolves({ Items: [item] })
    ddb.on(GetCommand).resolves({ Item: project })
    const reply = await list('?count=2')
    expect(reply.statusCode).toBe(200)
    expect(reply.json).toEqual({
      list: [
        {
          id: TOKEN_ID,
          token,
          description: 'fleet',
          created_by_user: 'ann',
          issued_at: '2026-11-01T00:00:00.000Z',
          max_uses: 5,
          uses: 0,
          expires_at: null,
          last_used_at: null,
        },
      ],
    })
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: 'latchkey-unit',
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': 'TEAM#acme#PROJECT#web', ':prefix': 'SET#' },
      Limit: 3,
      ConsistentRead: true,
    })
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { Key: keys.project('acme', 'web') })
    expect(ddb.calls()).toHaveLength(2)
  })

  it('answers 404 for a project being deleted, though its tokens are still stored', async () => {
    const { item } = await stored()
    ddb.on(QueryCommand).resolves({ Items: [item] })
    ddb.on(GetCommand).resolves({ Item: { ...project, deleting: 'x' } })
    const reply = await list()
    expect(reply.statusCode).toBe(404)
    expect(reply.json).toMatchObject({ message: 'The project does not exist.' })
  })
})

describe('deleting an enrollment token', () => {
  const remove = async () =>
    invoke(deleteToken, {
      method: 'DELETE',
      url: `/v1/teams/acme/projects/web/server_enrollment_tokens/${TOKEN_ID}`,
      token: await admin(),
      params: { ...params, enrollmentTokenId: TOKEN_ID },
    })

  it('deletes it and records who deleted it and when, in one transaction', async () => {
    ddb.on(TransactWriteCommand).resolves({})
    const reply = await remove()
    expect(reply.statusCode).toBe(204)
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? []
    // Only a token that is there is deleted (else 404, and no deletion record is written),
    // and only while its project is open.
    expect(items[0]?.Delete).toEqual({
      TableName: 'latchkey-unit',
      Key: keys.enrollmentToken('acme', 'web', TOKEN_ID),
      ConditionExpression: 'attribute_exists(PK)',
    })
    expect(items[2]?.ConditionCheck).toEqual({
      TableName: 'latchkey-unit',
      Key: keys.project('acme', 'web'),
      ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(deleting)',
    })
    expect(items).toHaveLength(3)
    expect(items[1]?.Put?.Item).toMatchObject({
      kind: 'Tombstone',
      entity: 'EnrollmentToken',
      team: 'acme',
      project: 'web',
      id: TOKEN_ID,
      deletedBy: 'ann',
      deletedAt: NOW.toISOString(),
      // Kept a week after the deletion (its event's time), then removed by TTL.
      ttl: NOW.getTime() / 1000 + 7 * 86_400,
    })
    expect(ddb.calls()).toHaveLength(1)
  })

  it('answers 404 naming the token when there is none', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'))
    const reply = await remove()
    expect(reply.statusCode).toBe(404)
    expect(reply.json).toMatchObject({
      code: 'resource_does_not_exist',
      message: 'The server enrollment token does not exist.',
    })
  })

  it('answers 404 naming the project when a delete finds it closing', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('None', 'None', 'ConditionalCheckFailed'))
    const reply = await remove()
    expect(reply.statusCode).toBe(404)
    expect(reply.json).toMatchObject({
      code: 'resource_does_not_exist',
      message: 'The project does not exist.',
    })
  })
})

describe('an agent without a credential', () => {
  // Only a JSON object under aws_iam offers a signed AWS identity (secretless
  // enrollment): then the request goes on to be parsed and validated. Anything else
  // without a credential is the one 401, before the body is parsed, with no call.
  const unsigned = (body?: string, headers: Record<string, string> = {}) =>
    invoke(enroll, {
      method: 'POST',
      url: '/v1/teams/acme/projects/web/servers',
      params,
      ...(body !== undefined && { body }),
      headers,
    })
  // A JSON body of exactly `length` characters offering an (incomplete) aws_iam proof.
  const padded = (length: number) => {
    const start = '{"hostname":"web-01","aws_iam":{},"pad":"'
    return `${start}${'x'.repeat(length - start.length - 2)}"}`
  }

  it('is the one 401 with no body, a body that is not JSON, or aws_iam not an object', async () => {
    for (const body of [
      undefined,
      'not json',
      'null',
      '{"hostname":"web-01"}',
      '{"hostname":"web-01","aws_iam":"signed"}',
      '{"hostname":"web-01","aws_iam":null}',
    ]) {
      const reply = await unsigned(body)
      expect({ body, status: reply.statusCode, json: reply.json }).toEqual({
        body,
        status: 401,
        json: expect.objectContaining(unauthorized),
      })
    }
    expect(ddb.calls()).toHaveLength(0)
  })

  it('offers aws_iam with an object there: the body is then validated (400 naming it)', async () => {
    const reply = await unsigned('{"hostname":"web-01","aws_iam":{}}')
    expect(reply.statusCode).toBe(400)
    expect(JSON.stringify(reply.json)).toContain('aws_iam')
    expect(ddb.calls()).toHaveLength(0)
  })

  it('reads an offer API Gateway passed base64-encoded: refused for its type, not as a 401', async () => {
    const reply = await unsigned('{"hostname":"web-01","aws_iam":{}}', {
      'content-type': 'application/octet-stream',
    })
    expect(reply.statusCode).toBe(415)
  })

  it('parses no body over twice the largest accepted to find an offer in it', async () => {
    // Larger than accepted bodies but within the bound are parsed: then refused for size.
    expect((await unsigned(padded(MAX_BODY_BYTES / 2 + 1))).statusCode).toBe(400)
    expect((await unsigned(padded(MAX_BODY_BYTES * 2))).statusCode).toBe(413)
    const beyond = await unsigned(padded(MAX_BODY_BYTES * 2 + 1))
    expect(beyond.statusCode).toBe(401)
    expect(beyond.json).toMatchObject(unauthorized)
  })

  it('offers nothing on a heartbeat, whatever the body: the one 401, no call', async () => {
    const reply = await invoke(heartbeat, {
      method: 'POST',
      url: `/v1/teams/acme/projects/web/servers/${SERVER_ID}/heartbeat`,
      params: { ...params, serverId: SERVER_ID },
      body: {
        aws_iam: { method: 'POST', url: 'https://sts.amazonaws.com/', headers: {}, body: '' },
      },
    })
    expect(reply.statusCode).toBe(401)
    expect(reply.json).toMatchObject(unauthorized)
    expect(ddb.calls()).toHaveLength(0)
  })
})
