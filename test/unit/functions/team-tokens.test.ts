import {
  DynamoDBDocumentClient,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { handler as audit } from '../../../functions/audit/list.js'
import { handler as remove } from '../../../functions/team-tokens/delete.js'
import { handler as list } from '../../../functions/team-tokens/list.js'
import { listedBytes } from '../../../shared/data/access-tokens.js'
import { AccessToken } from '../../../shared/data/entities.js'
import { cancelled, conditionFailed } from '../../support/aws-errors.js'
import { invoke } from '../../support/invoke.js'
import { serviceJwt } from '../../support/jwt.js'
import { storedToken } from '../../support/tokens.js'

const ddb = mockClient(DynamoDBDocumentClient)
const TABLE = 'latchkey-unit'
const NOW = new Date('2026-11-22T10:00:00.000Z')
const params = { team: 'acme' }

const bearer = (role: 'admin' | 'member') => serviceJwt({ role })
/** bob's token 2 as the removal's mark returns it (ALL_NEW). */
const laptop = { ...storedToken({ username: 'bob', id: 2 }).item, name: 'laptop' }

const indexed = (username: string, id: number, due = '~') => ({
  kind: 'AccessToken',
  team: 'acme',
  username,
  id,
  name: `t${id}`,
  dateCreated: '2026-11-01T00:00:00.000Z',
  expiresAt: due === '~' ? undefined : '2026-11-25T00:00:00.000Z',
  GSI1PK: 'TEAM#acme#TOKENS',
  GSI1SK: `${due}#${username}#${String(id).padStart(16, '0')}`,
})

beforeEach(() => {
  ddb.reset()
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(NOW)
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
})
afterEach(() => vi.useRealTimers())

describe('GET /v1/teams/{team}/tokens: calls and exact inputs', () => {
  it('reads one page of the team from the index, metadata only, with a cursor for more', async () => {
    ddb.on(QueryCommand).resolves({
      Items: [indexed('ann', 1, '2026-11-24T00:00:00.000Z'), indexed('bob', 2), indexed('bob', 3)],
      LastEvaluatedKey: { GSI1PK: 'x', GSI1SK: 'y', PK: 'p', SK: 's' },
    })
    const reply = await invoke(list, {
      method: 'GET',
      url: '/v1/teams/acme/tokens?count=2',
      token: await bearer('admin'),
      params,
    })
    expect(reply.statusCode).toBe(200)
    expect(ddb.calls()).toHaveLength(1)
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TABLE,
      IndexName: 'GSI1',
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': 'GSI1PK' },
      ExpressionAttributeValues: { ':pk': 'TEAM#acme#TOKENS' },
      ExclusiveStartKey: undefined,
      Limit: 3,
    })
    expect(reply.json.list).toEqual([
      {
        id: 1,
        user: 'ann',
        name: 't1',
        scopes: null,
        created: '2026-11-01T00:00:00.000Z',
        lastUsed: null,
        expires: '2026-11-25T00:00:00.000Z',
      },
      {
        id: 2,
        user: 'bob',
        name: 't2',
        scopes: null,
        created: '2026-11-01T00:00:00.000Z',
        lastUsed: null,
        expires: null,
      },
    ])
    const link = String(reply.headers?.link)
    const offset = new URL(link.slice(1, link.indexOf('>')), 'http://x').searchParams.get('offset')
    // The next page starts after the last token shown, at its full index key.
    ddb.reset()
    ddb.on(QueryCommand).resolves({ Items: [] })
    const next = await invoke(list, {
      method: 'GET',
      url: `/v1/teams/acme/tokens?count=2&offset=${offset}`,
      token: await bearer('admin'),
      params,
    })
    expect(next.statusCode).toBe(200)
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input.ExclusiveStartKey).toEqual({
      GSI1PK: 'TEAM#acme#TOKENS',
      GSI1SK: '~#bob#0000000000000002',
      PK: 'TEAM#acme#USER#bob',
      SK: 'PAT#0000000000000002',
    })
  })

  it('reads only tokens due before the horizon for ?expiring_within_days=, filtered on expiry', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] })
    const reply = await invoke(list, {
      method: 'GET',
      url: '/v1/teams/acme/tokens?expiring_within_days=7',
      token: await bearer('admin'),
      params,
    })
    expect(reply.statusCode).toBe(200)
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TABLE,
      IndexName: 'GSI1',
      KeyConditionExpression: '#pk = :pk AND #sk < :before',
      ExpressionAttributeNames: { '#pk': 'GSI1PK', '#sk': 'GSI1SK', '#expiresAt': 'expiresAt' },
      ExpressionAttributeValues: {
        ':pk': 'TEAM#acme#TOKENS',
        ':before': '2026-11-29T10:00:00.000Z$',
        ':now': NOW.toISOString(),
        ':limit': '2026-11-29T10:00:00.000Z',
      },
      FilterExpression: '#expiresAt > :now AND #expiresAt <= :limit',
      ExclusiveStartKey: undefined,
      Limit: 101,
    })
  })

  it("reads one user's tokens from the user's own partition (no index) for ?user=", async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ ...indexed('bob', 2), secretHash: 'h' }] })
    const reply = await invoke(list, {
      method: 'GET',
      url: '/v1/teams/acme/tokens?user=bob',
      token: await bearer('admin'),
      params,
    })
    expect(reply.statusCode).toBe(200)
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TABLE,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': 'TEAM#acme#USER#bob', ':prefix': 'PAT#' },
      ExclusiveStartKey: undefined,
      Limit: 101,
      ConsistentRead: true,
    })
    expect(JSON.stringify(reply.json)).not.toContain('secretHash')
    expect(reply.json.list.map((t: { user: string }) => t.user)).toEqual(['bob'])
  })

  it('refuses a cursor of another filter, and members, before any read', async () => {
    ddb
      .on(QueryCommand)
      .resolves({ Items: [indexed('ann', 1), indexed('ann', 2)], LastEvaluatedKey: {} })
    const first = await invoke(list, {
      method: 'GET',
      url: '/v1/teams/acme/tokens?count=1',
      token: await bearer('admin'),
      params,
    })
    const link = String(first.headers?.link)
    const offset = new URL(link.slice(1, link.indexOf('>')), 'http://x').searchParams.get('offset')
    ddb.reset()
    const other = await invoke(list, {
      method: 'GET',
      url: `/v1/teams/acme/tokens?count=1&expiring_within_days=3&offset=${offset}`,
      token: await bearer('admin'),
      params,
    })
    expect(other.statusCode).toBe(400)
    expect(other.json.errors).toEqual([{ description: 'offset', message: expect.any(String) }])
    const member = await invoke(list, {
      method: 'GET',
      url: '/v1/teams/acme/tokens',
      token: await bearer('member'),
      params,
    })
    expect(member.statusCode).toBe(403)
    expect(ddb.calls()).toHaveLength(0)
  })
})

describe('DELETE /v1/teams/{team}/users/{user}/tokens/{tokenId}: calls and exact inputs', () => {
  const url = '/v1/teams/acme/users/bob/tokens/2'
  const removeParams = { team: 'acme', user: 'bob', tokenId: '2' }

  it('marks who removes it, then deletes it with its name guard: 2 calls', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: laptop })
    ddb.on(TransactWriteCommand).resolves({})
    const reply = await invoke(remove, {
      method: 'DELETE',
      url,
      token: await bearer('admin'),
      params: removeParams,
    })
    expect(reply.statusCode).toBe(204)
    expect(ddb.calls()).toHaveLength(2)
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: TABLE,
      Key: { PK: 'TEAM#acme#USER#bob', SK: 'PAT#0000000000000002' },
      UpdateExpression: 'SET removalBy = :by, removalReason = :reason, removalAt = :at',
      ConditionExpression: 'attribute_exists(PK)',
      ExpressionAttributeValues: { ':by': 'ann', ':reason': 'admin', ':at': NOW.toISOString() },
      ReturnValues: 'ALL_NEW',
    })
    expect(ddb).toHaveReceivedCommandWith(TransactWriteCommand, {
      TransactItems: [
        {
          Delete: {
            TableName: TABLE,
            Key: { PK: 'TEAM#acme#USER#bob', SK: 'PAT#0000000000000002' },
            ConditionExpression: 'removalAt = :at',
            ExpressionAttributeValues: { ':at': NOW.toISOString() },
          },
        },
        { Delete: { TableName: TABLE, Key: { PK: 'TEAM#acme#USER#bob', SK: 'PATNAME#laptop' } } },
        // bob holds one token fewer, and its bytes fewer listed: the quota's count and
        // the list's total, in the same transaction
        {
          Update: {
            TableName: TABLE,
            Key: { PK: 'TEAM#acme', SK: 'USER#bob' },
            UpdateExpression:
              'ADD tokenCount :by SET tokenBytes = if_not_exists(tokenBytes, :unmeasured) - :bytes',
            ConditionExpression: 'attribute_exists(PK)',
            ExpressionAttributeValues: {
              ':by': -1,
              ':bytes': listedBytes(AccessToken.decode(laptop)),
              ':unmeasured': 2 ** 50,
            },
          },
        },
      ],
    })
  })

  it('deletes without the count when the owner was deleted meanwhile (never recreates the user)', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: laptop })
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled('None', 'None', 'ConditionalCheckFailed'))
      .resolves({})
    const reply = await invoke(remove, {
      method: 'DELETE',
      url,
      token: await bearer('admin'),
      params: removeParams,
    })
    expect(reply.statusCode).toBe(204)
    const transactions = ddb.commandCalls(TransactWriteCommand)
    expect(transactions).toHaveLength(2)
    expect(transactions[1]?.args[0].input.TransactItems?.map((item) => item.Delete?.Key)).toEqual([
      { PK: 'TEAM#acme#USER#bob', SK: 'PAT#0000000000000002' },
      { PK: 'TEAM#acme#USER#bob', SK: 'PATNAME#laptop' },
    ])
  })

  it('answers 404 when there is no such token, after the one conditional write', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed())
    const reply = await invoke(remove, {
      method: 'DELETE',
      url,
      token: await bearer('admin'),
      params: removeParams,
    })
    expect(reply.statusCode).toBe(404)
    expect(reply.json.code).toBe('resource_does_not_exist')
    expect(ddb.calls()).toHaveLength(1)
  })

  it('refuses members with 403 and no call', async () => {
    const reply = await invoke(remove, {
      method: 'DELETE',
      url,
      token: await bearer('member'),
      params: removeParams,
    })
    expect(reply.statusCode).toBe(403)
    expect(ddb.calls()).toHaveLength(0)
  })
})

describe('GET /v1/teams/{team}/audit: calls and exact inputs', () => {
  const event = {
    id: 'e1',
    source: 'latchkey',
    'detail-type': 'AccessTokenDeleted',
    time: '2026-11-21T00:00:00.000Z',
    detail: { team: 'acme', actor: 'ann', user: 'bob', token_id: 2 },
  }

  it('reads the trail newest first from `since` on, filtered by type and actor: 1 Query', async () => {
    ddb.on(QueryCommand).resolves({
      Items: [
        {
          PK: 'TEAM#acme#AUDIT',
          SK: 'AUDIT#2026-11-21T00:00:00.000Z#e1',
          event: JSON.stringify(event),
        },
      ],
    })
    const reply = await invoke(audit, {
      method: 'GET',
      url: '/v1/teams/acme/audit?type=AccessTokenDeleted&actor=ann&since=2026-11-20T00:00:00Z',
      token: await bearer('admin'),
      params,
    })
    expect(reply.statusCode).toBe(200)
    expect(reply.json).toEqual({ list: [event] })
    expect(ddb.calls()).toHaveLength(1)
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TABLE,
      KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': 'TEAM#acme#AUDIT',
        ':from': 'AUDIT#2026-11-20T00:00:00.000Z',
        ':to': 'AUDIT#~',
        ':type': 'AccessTokenDeleted',
        ':actor': 'ann',
      },
      FilterExpression: '#type = :type AND #actor = :actor',
      ExpressionAttributeNames: { '#type': 'type', '#actor': 'actor' },
      ScanIndexForward: false,
      ExclusiveStartKey: undefined,
      Limit: 101,
      ConsistentRead: true,
    })
  })

  it('refuses an impossible time with 400 naming since, and members with 403, before any read', async () => {
    const bad = await invoke(audit, {
      method: 'GET',
      url: '/v1/teams/acme/audit?since=2026-13-45T00:00:00Z',
      token: await bearer('admin'),
      params,
    })
    expect(bad.statusCode).toBe(400)
    expect(bad.json.errors).toEqual([{ description: 'since', message: 'is not a valid time' }])
    const member = await invoke(audit, {
      method: 'GET',
      url: '/v1/teams/acme/audit',
      token: await bearer('member'),
      params,
    })
    expect(member.statusCode).toBe(403)
    expect(ddb.calls()).toHaveLength(0)
  })
})
