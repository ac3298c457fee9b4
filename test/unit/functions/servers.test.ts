import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { handler as deleteServer } from '../../../functions/servers/delete.js'
import { handler as getServer } from '../../../functions/servers/get.js'
import { handler as listServers } from '../../../functions/servers/list.js'
import { handler as rotateServer } from '../../../functions/servers/rotate-token.js'
import { keys } from '../../../shared/data/keys.js'
import { claimServer, enroll } from '../../../shared/domain/servers.js'
import { sha256 } from '../../../shared/tokens/crypto.js'
import { issueServerToken } from '../../../shared/tokens/server-token.js'
import { cancelled } from '../../support/aws-errors.js'
import { invoke } from '../../support/invoke.js'
import { adminJwt } from '../../support/jwt.js'

/**
 * The server routes an admin and an agent use after enrollment: reading, listing and
 * deleting a server, and a server rotating its own token (also once it was deleted).
 */

const ddb = mockClient(DynamoDBDocumentClient)
const TABLE = 'latchkey-unit'
const NOW = new Date('2026-11-25T10:00:00.000Z')
const SERVER_ID = '0193a0a0-0000-7000-8000-000000000002'
const TOKEN_ID = '0193a0a0-0000-7000-8000-000000000001'
const PK = 'TEAM#acme#PROJECT#web'
const params = { team: 'acme', project: 'web', serverId: SERVER_ID }
const base = `/v1/teams/acme/projects/web/servers`

const admin = adminJwt

const { token: serverToken, secret } = issueServerToken({
  team: 'acme',
  project: 'web',
  id: SERVER_ID,
})
const serverItem = {
  ...keys.server('acme', 'web', SERVER_ID),
  kind: 'Server',
  team: 'acme',
  project: 'web',
  id: SERVER_ID,
  hostname: 'web-01',
  os: 'linux',
  enrollmentTokenId: TOKEN_ID,
  registeredAt: '2026-11-20T00:00:00.000Z',
  lastSeen: '2026-11-25T09:59:00.000Z',
  secretHash: sha256(secret),
}
const serverView = {
  id: SERVER_ID,
  hostname: 'web-01',
  os: 'linux',
  canonical_name: null,
  project_name: 'web',
  team_name: 'acme',
  enrollment_token_id: TOKEN_ID,
  registered_at: '2026-11-20T00:00:00.000Z',
  last_seen: '2026-11-25T09:59:00.000Z',
  instance_details: null,
  cloud_provider: null,
  cloud_account: null,
  instance_id: null,
}
const projectItem = {
  ...keys.project('acme', 'web'),
  kind: 'Project',
  team: 'acme',
  name: 'web',
  createdAt: '2026-11-01T00:00:00.000Z',
  createdBy: 'ann',
}
/** The one BatchGetItem a server read makes: the server (if any) beside its project. */
const stored = (...items: Record<string, unknown>[]) =>
  ddb.on(BatchGetCommand).resolves({ Responses: { [TABLE]: items } })
const notFound = { code: 'resource_does_not_exist', message: 'The server does not exist.' }
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

describe('reading servers', () => {
  const get = async () =>
    invoke(getServer, { method: 'GET', url: `${base}/${SERVER_ID}`, token: await admin(), params })

  it('answers a server read with its project in one BatchGetItem, as the view shows it (no secret)', async () => {
    stored(serverItem, projectItem)
    const reply = await get()
    expect(reply.statusCode).toBe(200)
    expect(reply.json).toEqual(serverView)
    const keysRead = ddb.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.[TABLE]?.Keys
    expect(keysRead).toEqual(
      expect.arrayContaining([{ PK, SK: `SERVER#${SERVER_ID}` }, keys.project('acme', 'web')]),
    )
    expect(ddb.calls()).toHaveLength(1)
  })

  it('answers 404 naming the server when there is none, or when its project is being deleted', async () => {
    stored(projectItem)
    expect((await get()).json).toMatchObject(notFound)
    ddb.reset()
    stored(serverItem, { ...projectItem, deleting: NOW.toISOString() })
    const closing = await get()
    expect(closing.statusCode).toBe(404)
    expect(closing.json).toMatchObject(notFound)
  })

  it("lists a project's servers from its partition, as views", async () => {
    ddb.on(QueryCommand).resolves({ Items: [serverItem] })
    ddb.on(GetCommand).resolves({ Item: projectItem })
    const reply = await invoke(listServers, {
      method: 'GET',
      url: base,
      token: await admin(),
      params: { team: 'acme', project: 'web' },
    })
    expect(reply.statusCode).toBe(200)
    expect(JSON.stringify(reply.json)).not.toContain(serverItem.secretHash)
    expect(reply.json).toEqual({ list: [serverView] })
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TABLE,
      ExpressionAttributeValues: expect.objectContaining({ ':pk': PK }),
    })
    // The project beside the page: a project being deleted lists nothing.
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { Key: keys.project('acme', 'web') })
    expect(ddb.calls()).toHaveLength(2)
  })
})

describe('deleting a server', () => {
  const remove = async () =>
    invoke(deleteServer, {
      method: 'DELETE',
      url: `${base}/${SERVER_ID}`,
      token: await admin(),
      params,
    })

  it('deletes it and records its token hash, who and when, in one transaction', async () => {
    stored(serverItem, projectItem)
    ddb.on(TransactWriteCommand).resolves({})
    const reply = await remove()
    expect(reply.statusCode).toBe(204)
    // Only a server that is there is deleted: a second delete writes no second record.
    expect(ddb).toHaveReceivedCommandWith(TransactWriteCommand, {
      TransactItems: [
        {
          Delete: {
            TableName: TABLE,
            Key: { PK, SK: `SERVER#${SERVER_ID}` },
            ConditionExpression: 'attribute_exists(PK)',
          },
        },
        {
          Put: {
            TableName: TABLE,
            Item: {
              PK,
              SK: `TOMBSTONE#SERVER#${SERVER_ID}`,
              kind: 'Tombstone',
              entity: 'Server',
              team: 'acme',
              project: 'web',
              id: SERVER_ID,
              deletedBy: 'ann',
              deletedAt: NOW.toISOString(),
              secretHash: sha256(secret),
              // Kept 90 days: its token answers server_authorization_revoked till then.
              ttl: NOW.getTime() / 1000 + 90 * 86_400,
            },
          },
        },
      ],
    })
  })

  it('answers 404 naming the server when there is none, writing nothing', async () => {
    stored(projectItem)
    const reply = await remove()
    expect(reply.statusCode).toBe(404)
    expect(reply.json).toMatchObject(notFound)
    expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand)
  })

  it('answers 404 when another delete removed it between the read and the write', async () => {
    stored(serverItem, projectItem)
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'))
    const reply = await remove()
    expect(reply.statusCode).toBe(404)
    expect(reply.json).toMatchObject(notFound)
  })
})

describe('a server rotating its own token', () => {
  const rotate = (token: string) =>
    invoke(rotateServer, {
      method: 'POST',
      url: `${base}/${SERVER_ID}/rotate_token`,
      token,
      params,
    })

  it('answers a new token for this same server, which proves itself in the path', async () => {
    ddb.on(TransactWriteCommand).resolves({})
    const reply = await rotate(serverToken)
    expect(reply.statusCode).toBe(200)
    // One transaction: the update on the current hash, and the project checked open.
    const [update, check] =
      ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? []
    expect(update?.Update).toMatchObject({
      Key: { PK, SK: `SERVER#${SERVER_ID}` },
      ConditionExpression: 'secretHash = :hash',
    })
    expect(check?.ConditionCheck?.Key).toEqual(keys.project('acme', 'web'))
    const claim = claimServer(reply.json.server_token, {
      team: 'acme',
      project: 'web',
      serverId: SERVER_ID,
    })
    expect(claim).toMatchObject({ team: 'acme', project: 'web', serverId: SERVER_ID })
    expect(claim.secretHash).not.toBe(sha256(secret))
  })

  it("tells a deleted server's genuine token it was revoked, and a forged one nothing", async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'))
    ddb
      .on(GetCommand, { Key: keys.tombstone(keys.server('acme', 'web', SERVER_ID)) })
      .resolves({ Item: { secretHash: sha256(secret) } })
    const revoked = await rotate(serverToken)
    expect(revoked.statusCode).toBe(401)
    expect(revoked.json).toMatchObject({
      code: 'server_authorization_revoked',
      message: 'This server was deleted; enroll it again.',
    })
    // Read consistently: a server deleted a moment ago already has its record.
    expect(ddb).toHaveReceivedCommandWith(GetCommand, {
      TableName: TABLE,
      Key: keys.tombstone(keys.server('acme', 'web', SERVER_ID)),
      ConsistentRead: true,
    })
    const forged = issueServerToken({ team: 'acme', project: 'web', id: SERVER_ID }).token
    const plain = await rotate(forged)
    expect(plain.statusCode).toBe(401)
    expect(plain.json.code).toBe('authentication_error')
  })

  it('answers the plain 401 for a server never enrolled (no deletion record)', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'))
    ddb.on(GetCommand).resolves({})
    const reply = await rotate(serverToken)
    expect(reply.statusCode).toBe(401)
    expect(reply.json.code).toBe('authentication_error')
    // The refused write, then the deletion record read: nothing else.
    expect(ddb.calls()).toHaveLength(2)
  })
})

describe('enrolling by AWS identity without a proof', () => {
  it('refuses the claim with the one 401, asking no one, and logs why', async () => {
    const logged: string[] = []
    vi.spyOn(process.stdout, 'write').mockImplementation((line) => {
      logged.push(String(line))
      return true
    })
    const fetchMock = vi.spyOn(globalThis, 'fetch')
    await expect(
      enroll({ kind: 'aws_iam', team: 'acme', project: 'web' }, { hostname: 'web-01' }),
    ).rejects.toMatchObject({ code: 'authentication_error' })
    expect(fetchMock).not.toHaveBeenCalled()
    expect(ddb.calls()).toHaveLength(0)
    const refusal = logged
      .map((line) => JSON.parse(line))
      .find((line) => line.message === 'secretless enrollment refused')
    expect(refusal).toMatchObject({ team: 'acme', project: 'web', reason: 'no aws_iam' })
  })
})
