import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, describe, expect, it } from 'vitest'
import { handler as create } from '../../../functions/projects/create.js'
import { handler as remove } from '../../../functions/projects/delete.js'
import { handler as list } from '../../../functions/projects/list.js'
import { signJws } from '../../../shared/keys/jws.js'
import { invoke } from '../../support/invoke.js'
import { storedToken } from '../../support/tokens.js'

const ddb = mockClient(DynamoDBDocumentClient)
const TABLE = 'latchkey-unit'

const bearer = (role: 'admin' | 'member', team = 'acme') => {
  const iat = Math.floor(Date.now() / 1000)
  return signJws('JWT', {
    iss: 'latchkey',
    sub: 'alice',
    team,
    role,
    jti: 'j',
    iat,
    exp: iat + 600,
  })
}
const projectItem = (name: string) => ({
  PK: 'TEAM#acme',
  SK: `PROJECT#${name}`,
  kind: 'Project',
  team: 'acme',
  name,
  createdAt: '2026-11-01T00:00:00.000Z',
  createdBy: 'alice',
})

beforeEach(() => ddb.reset())

describe('project routes: DynamoDB calls and exact inputs', () => {
  it('lists with one Query and no other call for a service token', async () => {
    ddb.on(QueryCommand).resolves({ Items: [projectItem('a'), projectItem('b')] })
    const reply = await invoke(list, {
      method: 'GET',
      url: '/v1/teams/acme/projects?count=5',
      token: await bearer('member'),
      params: { team: 'acme' },
    })
    expect(reply.statusCode).toBe(200)
    expect(reply.json.list.map((p: { name: string }) => p.name)).toEqual(['a', 'b'])
    expect(ddb.calls()).toHaveLength(1)
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TABLE,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': 'TEAM#acme', ':prefix': 'PROJECT#' },
      Limit: 6,
      ConsistentRead: true,
    })
  })

  it('gives a cursor after the last returned item when one more exists', async () => {
    ddb.on(QueryCommand).resolves({ Items: ['a', 'b', 'c'].map(projectItem) })
    const reply = await invoke(list, {
      method: 'GET',
      url: '/v1/teams/acme/projects?count=2',
      token: await bearer('member'),
      params: { team: 'acme' },
    })
    expect(reply.json.list).toHaveLength(2)
    const link = String(reply.headers?.link)
    expect(link).toMatch(/^<\/v1\/teams\/acme\/projects\?count=2&offset=[\w.-]+>; rel="next"$/)
    const offset = new URL(link.slice(1, link.indexOf('>')), 'http://x').searchParams.get('offset')
    ddb.reset()
    ddb.on(QueryCommand).resolves({ Items: [projectItem('c')] })
    await invoke(list, {
      method: 'GET',
      url: `/v1/teams/acme/projects?count=2&offset=${offset}`,
      token: await bearer('member'),
      params: { team: 'acme' },
    })
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      ExclusiveStartKey: { PK: 'TEAM#acme', SK: 'PROJECT#b' },
    })
  })

  it('creates with one conditional PutItem for an admin service token', async () => {
    ddb.on(PutCommand).resolves({})
    const reply = await invoke(create, {
      method: 'POST',
      url: '/v1/teams/acme/projects',
      token: await bearer('admin'),
      params: { team: 'acme' },
      body: { name: 'web' },
    })
    expect(reply.statusCode).toBe(201)
    expect(ddb.calls()).toHaveLength(1)
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: expect.objectContaining({ PK: 'TEAM#acme', SK: 'PROJECT#web', kind: 'Project' }),
      ConditionExpression: 'attribute_not_exists(PK)',
    })
  })

  it("reads a personal token user's role (one GetItem) before an admin action", async () => {
    const stored = storedToken({ lastUsed: new Date().toISOString() })
    ddb.on(GetCommand).resolves({ Item: stored.item })
    ddb
      .on(GetCommand, { Key: { PK: 'TEAM#acme', SK: 'USER#alice' } })
      .resolves({ Item: { team: 'acme', username: 'alice', role: 'member' } })
    const reply = await invoke(remove, {
      method: 'DELETE',
      url: '/v1/teams/acme/projects/web',
      token: stored.token,
      params: { team: 'acme', project: 'web' },
    })
    expect(reply.statusCode).toBe(403)
    expect(ddb).toHaveReceivedCommandTimes(GetCommand, 2)
    expect(ddb).not.toHaveReceivedCommand(DeleteCommand)
  })

  it("refuses another team's caller with 404 and no call at all", async () => {
    const reply = await invoke(create, {
      method: 'POST',
      url: '/v1/teams/acme/projects',
      token: await bearer('admin', 'other'),
      params: { team: 'acme' },
      body: { name: 'web' },
    })
    expect(reply.statusCode).toBe(404)
    expect(ddb.calls()).toHaveLength(0)
  })
})
