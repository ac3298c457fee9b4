import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { handler as create } from '../../../functions/projects/create.js'
import { handler as remove } from '../../../functions/projects/delete.js'
import { handler as get } from '../../../functions/projects/get.js'
import { handler as list } from '../../../functions/projects/list.js'
import { handler as update } from '../../../functions/projects/update.js'
import { routes } from '../../../shared/routes.js'
import { awsError, cancelled, conditionFailed } from '../../support/aws-errors.js'
import { invoke } from '../../support/invoke.js'
import { serviceJwt } from '../../support/jwt.js'
import { storedToken, tokenLookup } from '../../support/tokens.js'

const ddb = mockClient(DynamoDBDocumentClient)
const TABLE = 'latchkey-unit'

const bearer = (role: 'admin' | 'member', team = 'acme') => serviceJwt({ sub: 'alice', team, role })
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
    expect(ddb.calls()).toHaveLength(routes.listProjects.calls['service token'])
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
    expect(ddb.calls()).toHaveLength(routes.createProject.calls['service token'])
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: expect.objectContaining({ PK: 'TEAM#acme', SK: 'PROJECT#web', kind: 'Project' }),
      ConditionExpression: 'attribute_not_exists(PK)',
    })
  })

  it("reads a personal token user's role with the token (one BatchGetItem) before an admin action", async () => {
    const stored = storedToken({ lastUsed: new Date().toISOString() })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(stored.item, stored.user('member')))
    const reply = await invoke(remove, {
      method: 'DELETE',
      url: '/v1/teams/acme/projects/web',
      token: stored.token,
      params: { team: 'acme', project: 'web' },
    })
    expect(reply.statusCode).toBe(403)
    expect(ddb).toHaveReceivedCommandTimes(BatchGetCommand, 1) // the token, its mark, its user
    expect(ddb.calls()).toHaveLength(1)
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
    expect(ddb.calls()).toHaveLength(routes.listProjects.calls["another team's"])
  })
})

/** The one conditional UpdateItem that closes project web (a DELETE's, or a create's over an author-less mark). */
const deletionMark = (at: unknown, by: string) => ({
  TableName: TABLE,
  Key: { PK: 'TEAM#acme', SK: 'PROJECT#web' },
  UpdateExpression:
    'SET deleting = if_not_exists(deleting, :at), deletingBy = :by ADD deleteStep :one',
  ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(deletingBy)',
  ExpressionAttributeValues: { ':at': at, ':by': by, ':one': 1 },
})
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('project settings, PUT and filters: exact inputs and call counts', () => {
  const put = async (body: unknown, token?: string) =>
    invoke(update, {
      method: 'PUT',
      url: '/v1/teams/acme/projects/web',
      token: token ?? (await bearer('admin')),
      params: { team: 'acme', project: 'web' },
      body,
    })
  const stored = { ...projectItem('web'), id: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', version: 2 }

  it('creates with the given settings as attributes, a v7 id, in one PutItem', async () => {
    ddb.on(PutCommand).resolves({})
    const reply = await invoke(create, {
      method: 'POST',
      url: '/v1/teams/acme/projects',
      token: await bearer('admin'),
      params: { team: 'acme' },
      body: { name: 'web', create_server_users: true, next_unix_uid: 60101, gateway_selector: '' },
    })
    expect(reply.statusCode).toBe(201)
    expect(ddb.calls()).toHaveLength(routes.createProject.calls['service token'])
    const input = ddb.commandCalls(PutCommand)[0]?.args[0].input
    expect(input).toEqual({
      TableName: TABLE,
      Item: {
        PK: 'TEAM#acme',
        SK: 'PROJECT#web',
        kind: 'Project',
        team: 'acme',
        name: 'web',
        id: expect.stringMatching(UUID_V7),
        createdAt: expect.any(String),
        createdBy: 'alice',
        create_server_users: true,
        next_unix_uid: 60101,
      },
      ConditionExpression: 'attribute_not_exists(PK)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    })
    expect(reply.json).toMatchObject({ id: input?.Item?.id, team: 'acme', deleted_at: null })
  })

  describe('a create over a name in use', () => {
    const DELETED_AT = '2026-11-25T10:00:00.000Z'
    // The old project as the failed PutItem's ALL_OLD returns it: marshalled.
    const marked = conditionFailed({
      PK: { S: 'TEAM#acme' },
      SK: { S: 'PROJECT#web' },
      deleting: { S: DELETED_AT },
      deletingBy: { S: 'bob' },
      deleteStep: { N: '3' },
    })
    const post = async () =>
      invoke(create, {
        method: 'POST',
        url: '/v1/teams/acme/projects',
        token: await bearer('admin'),
        params: { team: 'acme' },
        body: { name: 'web', forward_traffic: true },
      })
    const server = (n: number) => ({
      PK: 'TEAM#acme#PROJECT#web',
      SK: `SERVER#s${n}`,
      id: `s${n}`,
      secretHash: `h${n}`,
      kind: 'Server',
    })
    const childrenQuery = (limit: number) => ({
      TableName: TABLE,
      KeyConditionExpression: 'PK = :pk AND SK < :before',
      ExpressionAttributeValues: { ':pk': 'TEAM#acme#PROJECT#web', ':before': 'TOMBSTONE#' },
      ProjectionExpression: 'PK, SK, id, secretHash, #kind',
      ExpressionAttributeNames: { '#kind': 'kind' },
      Limit: limit,
      ConsistentRead: true,
    })
    const ttl = (days: number) => Date.parse(DELETED_AT) / 1000 + days * 86_400
    const projectRecord = {
      PK: 'TEAM#acme',
      SK: 'TOMBSTONE#PROJECT#web',
      kind: 'Tombstone',
      entity: 'Project',
      team: 'acme',
      project: 'web',
      deletedBy: 'bob',
      deletedAt: DELETED_AT,
      ttl: ttl(7),
    }
    // The new project's PutItem, the same before and after the old deletion is finished.
    const newProject = () => ({
      TableName: TABLE,
      Item: expect.objectContaining({
        PK: 'TEAM#acme',
        SK: 'PROJECT#web',
        kind: 'Project',
        createdBy: 'alice',
        forward_traffic: true,
      }),
      ConditionExpression: 'attribute_not_exists(PK)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    })
    // The old deletion's last write, as the cascade's: the project, only while still
    // this deletion's, with its record (ProjectDeleted).
    const lastWrite = (deletedBy = 'bob') => [
      {
        Delete: {
          TableName: TABLE,
          Key: { PK: 'TEAM#acme', SK: 'PROJECT#web' },
          ConditionExpression: 'deleting = :at',
          ExpressionAttributeValues: { ':at': DELETED_AT },
        },
      },
      { Put: { TableName: TABLE, Item: { ...projectRecord, deletedBy } } },
    ]
    // The old project as a step reads it after its Query: still this deletion's.
    const stillMarked = {
      Item: { ...projectItem('web'), deleting: DELETED_AT, deletingBy: 'bob', deleteStep: 3 },
    }
    const sent = () => ddb.calls().map((call) => (call.args[0] as object).constructor.name)
    const refused = cancelled('ConditionalCheckFailed', 'None')

    it('a live project: 409 after the one PutItem', async () => {
      ddb.on(PutCommand).rejects(conditionFailed({ PK: { S: 'TEAM#acme' } }))
      const taken = await post()
      expect(taken.statusCode).toBe(409)
      expect(taken.json.message).toBe('A project named "web" exists.')
      expect(ddb.calls()).toHaveLength(1)
    })

    it('a condition failure without the old item (ALL_OLD not honoured, as older DynamoDB Locals): 409, never a 500', async () => {
      ddb.on(PutCommand).rejects(awsError('ConditionalCheckFailedException'))
      const taken = await post()
      expect(taken.statusCode).toBe(409)
      expect(ddb.calls()).toHaveLength(1)
    })

    it('reads the old item whether the client left it marshalled or not', async () => {
      // A transport that unmarshals the refused write's item: plain strings.
      ddb
        .on(PutCommand)
        .rejectsOnce(
          conditionFailed({ ...projectItem('web'), deleting: DELETED_AT, deletingBy: 'bob' }),
        )
        .resolves({})
      ddb.on(QueryCommand).resolves({ Items: [] })
      ddb.on(TransactWriteCommand).resolves({})
      expect((await post()).statusCode).toBe(201)
      const written = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems
      expect(written).toEqual(lastWrite())
    })

    it('a throttled PutItem: 503, not read as a name in use', async () => {
      ddb.on(PutCommand).rejects(awsError('ProvisionedThroughputExceededException'))
      const logged = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
      const reply = await post()
      logged.mockRestore()
      expect(reply.statusCode).toBe(503)
      expect(ddb.calls()).toHaveLength(1)
    })

    it('one being deleted with nothing left: its last write, then the project put again (4 calls)', async () => {
      ddb.on(PutCommand).rejectsOnce(marked).resolves({})
      ddb.on(QueryCommand).resolves({ Items: [] })
      ddb.on(TransactWriteCommand).resolves({})
      const reply = await post()
      expect(reply.statusCode).toBe(201)
      expect(reply.json).toMatchObject({ name: 'web', forward_traffic: true, deleted_at: null })
      expect(ddb.calls()).toHaveLength(routes.createProject.calls['name being deleted'])
      expect(sent()).toEqual(['PutCommand', 'QueryCommand', 'TransactWriteCommand', 'PutCommand'])
      expect(ddb).toHaveReceivedCommandWith(QueryCommand, childrenQuery(1000))
      // Nothing found, nothing to write: no read of the mark.
      expect(ddb).not.toHaveReceivedCommand(GetCommand)
      const written = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems
      expect(written).toEqual(lastWrite())
      // The project alone, in a write of its own after ProjectDeleted's: never over the mark.
      const puts = ddb.commandCalls(PutCommand).map((call) => call.args[0].input)
      expect(puts).toEqual([newProject(), newProject()])
      expect(puts[1]?.Item).toEqual(puts[0]?.Item)
      expect(puts[1]?.Item?.deleting).toBeUndefined()
      expect(puts[1]?.Item?.id).toBe(reply.json.id)
    })

    it("a few children left: a cascade step's records, then its deletes, then the last write and the put (7 calls)", async () => {
      ddb.on(PutCommand).rejectsOnce(marked).resolves({})
      ddb.on(QueryCommand).resolves({
        Items: [
          server(1),
          { PK: 'TEAM#acme#PROJECT#web', SK: 'SET#t1', id: 't1', kind: 'EnrollmentToken' },
        ],
      })
      ddb.on(GetCommand).resolves(stillMarked)
      ddb.on(BatchWriteCommand).resolves({})
      ddb.on(TransactWriteCommand).resolves({})
      expect((await post()).statusCode).toBe(201)
      expect(sent()).toEqual([
        'PutCommand',
        'QueryCommand',
        'GetCommand',
        'BatchWriteCommand',
        'BatchWriteCommand',
        'TransactWriteCommand',
        'PutCommand',
      ])
      expect(ddb).toHaveReceivedCommandWith(GetCommand, {
        TableName: TABLE,
        Key: { PK: 'TEAM#acme', SK: 'PROJECT#web' },
        ConsistentRead: true,
      })
      const batches = ddb.commandCalls(BatchWriteCommand).map((call) => call.args[0].input)
      expect(batches).toEqual([
        {
          RequestItems: {
            [TABLE]: [
              {
                PutRequest: {
                  Item: {
                    PK: 'TEAM#acme#PROJECT#web',
                    SK: 'TOMBSTONE#SERVER#s1',
                    kind: 'Tombstone',
                    entity: 'Server',
                    team: 'acme',
                    project: 'web',
                    id: 's1',
                    deletedBy: 'bob',
                    deletedAt: DELETED_AT,
                    secretHash: 'h1',
                    ttl: ttl(90),
                  },
                },
              },
              {
                PutRequest: {
                  Item: {
                    PK: 'TEAM#acme#PROJECT#web',
                    SK: 'TOMBSTONE#SET#t1',
                    kind: 'Tombstone',
                    entity: 'EnrollmentToken',
                    team: 'acme',
                    project: 'web',
                    id: 't1',
                    deletedBy: 'bob',
                    deletedAt: DELETED_AT,
                    ttl: ttl(7),
                  },
                },
              },
            ],
          },
        },
        {
          RequestItems: {
            [TABLE]: [
              { DeleteRequest: { Key: { PK: 'TEAM#acme#PROJECT#web', SK: 'SERVER#s1' } } },
              { DeleteRequest: { Key: { PK: 'TEAM#acme#PROJECT#web', SK: 'SET#t1' } } },
            ],
          },
        },
      ])
      const written = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems
      expect(written).toEqual(lastWrite())
    })

    it('120 children left (more than one transaction could take): 201 in 15 calls', async () => {
      ddb.on(PutCommand).rejectsOnce(marked).resolves({})
      ddb.on(QueryCommand).resolves({ Items: Array.from({ length: 120 }, (_, n) => server(n)) })
      ddb.on(GetCommand).resolves(stillMarked)
      ddb.on(BatchWriteCommand).resolves({})
      ddb.on(TransactWriteCommand).resolves({})
      expect((await post()).statusCode).toBe(201)
      expect(ddb.calls()).toHaveLength(
        routes.createProject.calls['name being deleted, 120 children left'],
      )
      const batches = ddb
        .commandCalls(BatchWriteCommand)
        .map((call) => call.args[0].input.RequestItems?.[TABLE] ?? [])
      // 5 batches of records (25 at most), then 5 of deletes: each child once.
      expect(batches.map((batch) => batch.length)).toEqual([25, 25, 25, 25, 20, 25, 25, 25, 25, 20])
      const deleted = batches.flat().flatMap((request) => request.DeleteRequest?.Key?.SK ?? [])
      expect(new Set(deleted)).toEqual(
        new Set(Array.from({ length: 120 }, (_, n) => `SERVER#s${n}`)),
      )
    })

    it('the mark moved after the Query (another create took the name): writes nothing, puts again: 409', async () => {
      ddb
        .on(PutCommand)
        .rejectsOnce(marked)
        .rejects(conditionFailed({ PK: { S: 'TEAM#acme' } }))
      ddb.on(QueryCommand).resolves({ Items: [server(1)] })
      ddb.on(GetCommand).resolves({ Item: projectItem('web') })
      const reply = await post()
      expect(reply.statusCode).toBe(409)
      expect(sent()).toEqual(['PutCommand', 'QueryCommand', 'GetCommand', 'PutCommand'])
    })

    it('starts again when the last write is refused: the cascade finished (201), or another create won (409)', async () => {
      ddb.on(PutCommand).rejectsOnce(marked).resolves({})
      ddb.on(QueryCommand).resolves({ Items: [] })
      ddb.on(TransactWriteCommand).rejects(refused)
      expect((await post()).statusCode).toBe(201)
      expect(ddb.calls()).toHaveLength(4) // put, query, last write (refused), put
      ddb.reset()
      ddb
        .on(PutCommand)
        .rejectsOnce(marked)
        .rejects(conditionFailed({ PK: { S: 'TEAM#acme' } }))
      ddb.on(QueryCommand).resolves({ Items: [] })
      ddb.on(TransactWriteCommand).rejects(refused)
      expect((await post()).statusCode).toBe(409)
      // Marked every time (a deletion that keeps moving): three rounds, then 503.
      ddb.reset()
      ddb.on(PutCommand).rejects(marked)
      ddb.on(QueryCommand).resolves({ Items: [] })
      ddb.on(TransactWriteCommand).rejects(refused)
      const busy = await post()
      expect(busy.statusCode).toBe(503)
      expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 3)
    })

    afterEach(() => vi.restoreAllMocks()) // the fake clock of slowSteps

    /** Each Query of what is left takes the whole budget (a fake clock): one step, then 429. */
    function slowSteps() {
      let elapsed = 0
      const realNow = Date.now()
      vi.spyOn(Date, 'now').mockImplementation(() => realNow + elapsed)
      const step = Array.from({ length: 1000 }, (_, n) => server(n))
      ddb.on(QueryCommand).callsFake(() => {
        elapsed += 10_001
        return { Items: step, LastEvaluatedKey: { PK: 'TEAM#acme#PROJECT#web', SK: 'SERVER#s999' } }
      })
      ddb.on(GetCommand).resolves(stillMarked)
      ddb.on(BatchWriteCommand).resolves({})
    }

    it('more left than the budget deletes: 429 with Retry-After after a step, the new project not written', async () => {
      ddb.on(PutCommand).rejects(marked)
      slowSteps()
      const reply = await post()
      expect(reply.statusCode).toBe(429)
      expect(reply.headers?.['retry-after']).toBe('5')
      // 5 s on the budget's clock (still the fake one), as unix seconds.
      expect(reply.headers?.['x-ratelimit-retry-at']).toBe(String(Math.ceil(Date.now() / 1000) + 5))
      expect(reply.json.code).toBe('too_many_requests')
      expect(reply.json.message).toBe(
        'A project named "web" is still being deleted (more servers, enrollment tokens or cloud accounts than a request deletes); retry after 5 seconds.',
      )
      // One step's 1,000 children, as the cascade would; no last write, no second put.
      expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 1)
      expect(ddb).toHaveReceivedCommandTimes(BatchWriteCommand, 80)
      expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1)
      expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand)
      expect(ddb).not.toHaveReceivedCommand(UpdateCommand) // its cascade runs already
    })

    it('out of budget over a mark an older DELETE left: asks for its cascade once, then 429', async () => {
      ddb.on(PutCommand).rejects(
        conditionFailed({
          PK: { S: 'TEAM#acme' },
          SK: { S: 'PROJECT#web' },
          deleting: { S: DELETED_AT },
        }),
      )
      slowSteps()
      ddb.on(GetCommand).resolves({ Item: { ...projectItem('web'), deleting: DELETED_AT } })
      ddb.on(UpdateCommand).resolves({})
      const reply = await post()
      expect(reply.statusCode).toBe(429)
      expect(ddb).toHaveReceivedCommandWith(UpdateCommand, deletionMark(DELETED_AT, 'latchkey'))
      expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1)
      // The records it wrote name the system, as the cascade's will.
      const first = ddb.commandCalls(BatchWriteCommand)[0]?.args[0].input.RequestItems?.[TABLE]
      expect(first?.[0]?.PutRequest?.Item).toMatchObject({ deletedBy: 'latchkey' })
      // Another create asked for it first: the refused write changes nothing, still 429.
      ddb.on(UpdateCommand).rejects(awsError('ConditionalCheckFailedException'))
      expect((await post()).statusCode).toBe(429)
    })

    it('a mark left by a DELETE from before deletes had an author: finished as the system', async () => {
      ddb
        .on(PutCommand)
        .rejectsOnce(
          conditionFailed({
            PK: { S: 'TEAM#acme' },
            SK: { S: 'PROJECT#web' },
            deleting: { S: DELETED_AT },
          }),
        )
        .resolves({})
      ddb.on(QueryCommand).resolves({ Items: [] })
      ddb.on(TransactWriteCommand).resolves({})
      expect((await post()).statusCode).toBe(201)
      const written = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems
      expect(written).toEqual(lastWrite('latchkey'))
      expect(ddb).not.toHaveReceivedCommand(UpdateCommand)
    })
  })

  it('deletes with one conditional UpdateItem of the mark, whatever the project holds', async () => {
    ddb.on(UpdateCommand).resolves({})
    const reply = await invoke(remove, {
      method: 'DELETE',
      url: '/v1/teams/acme/projects/web',
      token: await bearer('admin'),
      params: { team: 'acme', project: 'web' },
    })
    expect(reply.statusCode).toBe(204)
    expect(ddb.calls()).toHaveLength(routes.deleteProject.calls['service token'])
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, deletionMark(expect.any(String), 'alice'))
    // None, or one being deleted already: 404, the refused condition having written nothing.
    ddb.on(UpdateCommand).rejects(awsError('ConditionalCheckFailedException'))
    const again = await invoke(remove, {
      method: 'DELETE',
      url: '/v1/teams/acme/projects/web',
      token: await bearer('admin'),
      params: { team: 'acme', project: 'web' },
    })
    expect(again.statusCode).toBe(404)
  })

  it('shows no project being deleted: not fetched, not listed', async () => {
    ddb.on(GetCommand).resolves({ Item: { ...stored, deleting: '2026-11-02T00:00:00.000Z' } })
    const fetched = await invoke(get, {
      method: 'GET',
      url: '/v1/teams/acme/projects/web',
      token: await bearer('admin'),
      params: { team: 'acme', project: 'web' },
    })
    expect(fetched.statusCode).toBe(404)
    expect(fetched.json.message).toBe('The project does not exist.')
    ddb.on(QueryCommand).resolves({
      Items: [
        { ...projectItem('api') },
        { ...projectItem('web'), deleting: '2026-11-02T00:00:00.000Z' },
      ],
    })
    const listed = await invoke(list, {
      method: 'GET',
      url: '/v1/teams/acme/projects',
      token: await bearer('admin'),
      params: { team: 'acme' },
    })
    expect(listed.json.list.map((p: { name: string }) => p.name)).toEqual(['api'])
  })

  it('updates the changed settings with one GetItem and one conditional UpdateItem', async () => {
    ddb.on(GetCommand).resolves({ Item: { ...stored, forward_traffic: false } })
    ddb.on(UpdateCommand).resolves({})
    const reply = await put({
      name: 'web',
      forward_traffic: true,
      create_server_users: false, // already so (the default): not written
      gateway_selector: null, // not set: nothing to remove
      user_on_demand_period: 600,
    })
    expect(reply.statusCode).toBe(204)
    expect(ddb.calls()).toHaveLength(routes.updateProject.calls['service token'])
    expect(ddb).toHaveReceivedCommandWith(GetCommand, {
      TableName: TABLE,
      Key: { PK: 'TEAM#acme', SK: 'PROJECT#web' },
      ConsistentRead: true,
    })
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { PK: 'TEAM#acme', SK: 'PROJECT#web' },
      UpdateExpression:
        'SET #id = if_not_exists(#id, :id), #version = :next, #updatedAt = :at, #updatedBy = :by, #forward_traffic = :forward_traffic, #user_on_demand_period = :user_on_demand_period',
      ConditionExpression:
        'attribute_exists(PK) AND attribute_not_exists(#deleting) AND #version = :v',
      ExpressionAttributeNames: {
        '#id': 'id',
        '#version': 'version',
        '#updatedAt': 'updatedAt',
        '#updatedBy': 'updatedBy',
        '#deleting': 'deleting',
        '#forward_traffic': 'forward_traffic',
        '#user_on_demand_period': 'user_on_demand_period',
      },
      ExpressionAttributeValues: {
        ':id': stored.id,
        ':next': 3,
        ':at': expect.any(String),
        ':by': 'alice',
        ':forward_traffic': true,
        ':user_on_demand_period': 600,
        ':v': 2,
      },
    })
  })

  it('removes a setting sent back to its default, and stores a derived id on a legacy project', async () => {
    const legacy = { ...projectItem('web'), gateway_selector: 'env=prod' } // no id, no version
    ddb.on(GetCommand).resolves({ Item: legacy })
    ddb.on(UpdateCommand).resolves({})
    expect((await put({ gateway_selector: '' })).statusCode).toBe(204)
    const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input
    expect(input?.UpdateExpression).toBe(
      'SET #id = if_not_exists(#id, :id), #version = :next, #updatedAt = :at, #updatedBy = :by REMOVE #gateway_selector',
    )
    expect(input?.ConditionExpression).toBe(
      'attribute_exists(PK) AND attribute_not_exists(#deleting) AND attribute_not_exists(#version)',
    )
    // Strict: no ':v' at all for a project with no version (its condition names none).
    expect(input?.ExpressionAttributeValues).toStrictEqual({
      ':id': expect.stringMatching(
        /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      ),
      ':next': 1,
      ':at': expect.any(String),
      ':by': 'alice',
    })
    // The id is the one a GET shows for the same item.
    ddb.reset()
    ddb.on(GetCommand).resolves({ Item: legacy })
    const { handler: get } = await import('../../../functions/projects/get.js')
    const fetched = await invoke(get, {
      method: 'GET',
      url: '/v1/teams/acme/projects/web',
      token: await bearer('member'),
      params: { team: 'acme', project: 'web' },
    })
    expect(fetched.json.id).toBe(input?.ExpressionAttributeValues?.[':id'])
  })

  it('removes two settings at once, each named in the REMOVE', async () => {
    ddb.on(GetCommand).resolves({
      Item: { ...stored, gateway_selector: 'env=prod', ssh_certificate_type: 'CERT_TYPE_RSA_01' },
    })
    ddb.on(UpdateCommand).resolves({})
    expect((await put({ gateway_selector: '', ssh_certificate_type: null })).statusCode).toBe(204)
    const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input
    expect(input?.UpdateExpression).toBe(
      'SET #id = if_not_exists(#id, :id), #version = :next, #updatedAt = :at, #updatedBy = :by REMOVE #gateway_selector, #ssh_certificate_type',
    )
    expect(input?.ExpressionAttributeNames).toEqual({
      '#id': 'id',
      '#version': 'version',
      '#updatedAt': 'updatedAt',
      '#updatedBy': 'updatedBy',
      '#deleting': 'deleting',
      '#gateway_selector': 'gateway_selector',
      '#ssh_certificate_type': 'ssh_certificate_type',
    })
  })

  it('a throttled write answers 503 at once: a PUT is not retried as if raced, a DELETE is not a 404', async () => {
    ddb.on(GetCommand).resolves({ Item: stored })
    ddb.on(UpdateCommand).rejects(awsError('ThrottlingException'))
    const logged = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
    const updated = await put({ forward_traffic: true })
    expect(updated.statusCode).toBe(503)
    expect(ddb.calls()).toHaveLength(2) // one read, one write: no second round
    ddb.resetHistory()
    const removed = await invoke(remove, {
      method: 'DELETE',
      url: '/v1/teams/acme/projects/web',
      token: await bearer('admin'),
      params: { team: 'acme', project: 'web' },
    })
    logged.mockRestore()
    expect(removed.statusCode).toBe(503)
    expect(ddb.calls()).toHaveLength(1)
  })

  it('writes nothing for a PUT that changes nothing (one GetItem)', async () => {
    ddb.on(GetCommand).resolves({ Item: { ...stored, forward_traffic: true } })
    const reply = await put({
      forward_traffic: true,
      next_unix_uid: 60001,
      ssh_certificate_type: null,
    })
    expect(reply.statusCode).toBe(204)
    expect(ddb.calls()).toHaveLength(routes.updateProject.calls.unchanged)
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand)
  })

  it('reads again after a concurrent update, and gives up with 503 after three', async () => {
    ddb.on(GetCommand).resolves({ Item: stored })
    ddb.on(UpdateCommand).rejectsOnce(awsError('ConditionalCheckFailedException')).resolves({})
    expect((await put({ forward_traffic: true })).statusCode).toBe(204)
    expect(ddb).toHaveReceivedCommandTimes(GetCommand, 2)
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 2)

    ddb.reset()
    ddb.on(GetCommand).resolves({ Item: stored })
    ddb.on(UpdateCommand).rejects(awsError('ConditionalCheckFailedException'))
    const logged = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
    const reply = await put({ forward_traffic: true })
    logged.mockRestore()
    expect(reply.statusCode).toBe(503)
    expect(reply.headers?.['retry-after']).toBe('1')
    expect(ddb.calls()).toHaveLength(6)
  })

  it('answers 404 for a missing or closing project, and 400 for a new name, before writing', async () => {
    ddb.on(GetCommand).resolves({})
    const missing = await put({ forward_traffic: true })
    expect(missing.statusCode).toBe(404)
    expect(missing.json).toEqual({
      code: 'resource_does_not_exist',
      message: 'The project does not exist.',
      errors: [],
    })
    ddb.on(GetCommand).resolves({ Item: { ...stored, deleting: '2026-11-02T00:00:00.000Z' } })
    const closing = await put({ forward_traffic: true })
    expect(closing.json).toEqual(missing.json) // the same answer: a closing project is gone
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand)
    ddb.reset()
    const renamed = await put({ name: 'api' })
    expect(renamed.statusCode).toBe(400)
    expect(renamed.json.message).toBe("A project's name cannot change.")
    expect(renamed.json.errors).toEqual([
      { description: 'name', message: 'cannot change (the project is "web")' },
    ])
    expect(ddb.calls()).toHaveLength(0)
  })

  it('filters a list by name with a FilterExpression, at least 64 evaluated a Query', async () => {
    ddb.on(QueryCommand).resolves({ Items: [projectItem('web')], ScannedCount: 3 })
    const reply = await invoke(list, {
      method: 'GET',
      url: '/v1/teams/acme/projects?count=5&contains=WeB&descending=true&self=true',
      token: await bearer('member'),
      params: { team: 'acme' },
    })
    expect(reply.statusCode).toBe(200)
    expect(ddb.calls()).toHaveLength(routes.listProjects.calls['service token'])
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': 'TEAM#acme', ':prefix': 'PROJECT#', ':contains': 'web' },
      FilterExpression: 'contains(#name, :contains)',
      ExpressionAttributeNames: { '#name': 'name' },
      ScanIndexForward: false,
      Limit: 64,
      ConsistentRead: true,
    })
  })

  it('stops a sparse filtered page after 1,001 evaluated items (5 Queries), with a cursor there', async () => {
    let n = 0
    ddb.on(QueryCommand).callsFake((input: { Limit: number }) => {
      n += input.Limit
      return {
        Items: [],
        ScannedCount: input.Limit,
        LastEvaluatedKey: { PK: 'TEAM#acme', SK: `PROJECT#n${n}` },
      }
    })
    const reply = await invoke(list, {
      method: 'GET',
      url: '/v1/teams/acme/projects?count=1&contains=web',
      token: await bearer('member'),
      params: { team: 'acme' },
    })
    expect(reply.json.list).toEqual([])
    expect(ddb.commandCalls(QueryCommand).map((call) => call.args[0].input.Limit)).toEqual([
      64, 128, 256, 512, 41,
    ])
    const link = String(reply.headers?.link)
    const offset = new URL(link.slice(1, link.indexOf('>')), 'http://x').searchParams.get('offset')
    expect(JSON.parse(Buffer.from(String(offset), 'base64url').toString())).toEqual({
      v: 1,
      scope: 'TEAM#acme|PROJECT#',
      after: 'PROJECT#n1001',
      contains: 'web',
    })
  })
})

describe('project rules, list order and pages (shared/domain/projects.ts)', () => {
  const createWith = async (body: Record<string, unknown>) =>
    invoke(create, {
      method: 'POST',
      url: '/v1/teams/acme/projects',
      token: await bearer('admin'),
      params: { team: 'acme' },
      body: { name: 'web', ...body },
    })
  const putWith = async (body: Record<string, unknown>) =>
    invoke(update, {
      method: 'PUT',
      url: '/v1/teams/acme/projects/web',
      token: await bearer('admin'),
      params: { team: 'acme', project: 'web' },
      body,
    })
  const listWith = async (query: string) =>
    invoke(list, {
      method: 'GET',
      url: `/v1/teams/acme/projects?${query}`,
      token: await bearer('member'),
      params: { team: 'acme' },
    })
  /** The offsets of a Link header, by rel. */
  const links = (header: unknown) =>
    Object.fromEntries(
      [...String(header ?? '').matchAll(/<([^>]+)>; rel="(\w+)"/g)].map(([, url, rel]) => [
        rel,
        new URL(String(url), 'http://x').searchParams.get('offset'),
      ]),
    )
  const cursor = (after: string, view: { descending?: true } = {}) =>
    Buffer.from(JSON.stringify({ v: 1, scope: 'TEAM#acme|PROJECT#', after, ...view })).toString(
      'base64url',
    )
  const decoded = (offset: string | null | undefined) =>
    JSON.parse(Buffer.from(String(offset), 'base64url').toString())
  const queried = () => ddb.commandCalls(QueryCommand).map((call) => call.args[0].input)

  describe('force_shared_ssh_users needs both shared user names (ASA)', () => {
    const both = ['shared_admin_user_name', 'shared_standard_user_name']
    const needs = (names: string[]) => ({
      code: 'invalid_request',
      message: `force_shared_ssh_users needs ${names.join(' and ')}.`,
      errors: names.map((description) => ({
        description,
        message: 'is required when force_shared_ssh_users is true',
      })),
    })

    it('refuses a create naming neither, or one, before any call', async () => {
      const neither = await createWith({ force_shared_ssh_users: true })
      expect(neither.statusCode).toBe(400)
      expect(neither.json).toEqual(needs(both))
      const one = await createWith({
        force_shared_ssh_users: true,
        shared_admin_user_name: 'sudoer',
      })
      expect(one.json).toEqual(needs(['shared_standard_user_name']))
      expect(ddb.calls()).toHaveLength(0)
    })

    it('creates with both names, and without the rule needs neither', async () => {
      ddb.on(PutCommand).resolves({})
      const forced = await createWith({
        force_shared_ssh_users: true,
        shared_admin_user_name: 'sudoer',
        shared_standard_user_name: 'plain',
      })
      expect(forced.statusCode).toBe(201)
      expect((await createWith({ force_shared_ssh_users: false })).statusCode).toBe(201)
    })

    it('refuses a PUT that would leave the rule without a name, judged on the merged settings', async () => {
      const forced = {
        ...projectItem('web'),
        version: 1,
        force_shared_ssh_users: true,
        shared_admin_user_name: 'sudoer',
        shared_standard_user_name: 'plain',
      }
      ddb.on(GetCommand).resolves({ Item: forced })
      const unset = await putWith({ shared_standard_user_name: '' })
      expect(unset.statusCode).toBe(400)
      expect(unset.json).toEqual(needs(['shared_standard_user_name']))
      ddb.on(GetCommand).resolves({ Item: { ...projectItem('web'), shared_admin_user_name: 'a' } })
      const turnedOn = await putWith({ force_shared_ssh_users: true })
      expect(turnedOn.json).toEqual(needs(['shared_standard_user_name']))
      expect(ddb).not.toHaveReceivedCommand(UpdateCommand)
    })
  })

  it('a PUT naming one setting writes that one and keeps every other stored setting', async () => {
    ddb.on(GetCommand).resolves({
      Item: {
        ...projectItem('web'),
        id: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
        version: 4,
        forward_traffic: true,
        gateway_selector: 'env=prod',
      },
    })
    ddb.on(UpdateCommand).resolves({})
    expect((await putWith({ ssh_session_recording: true })).statusCode).toBe(204)
    const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input
    expect(input?.UpdateExpression).toBe(
      'SET #id = if_not_exists(#id, :id), #version = :next, #updatedAt = :at, #updatedBy = :by, #ssh_session_recording = :ssh_session_recording',
    )
    expect(input?.ExpressionAttributeValues).toMatchObject({ ':ssh_session_recording': true })
  })

  it("shows a legacy project's id derived from team, name and creation time, the same every read", async () => {
    ddb.on(GetCommand).resolves({ Item: projectItem('web') }) // stored before projects had ids
    const fetched = await invoke(get, {
      method: 'GET',
      url: '/v1/teams/acme/projects/web',
      token: await bearer('member'),
      params: { team: 'acme', project: 'web' },
    })
    // UUID v5 of "acme/web/2026-11-01T00:00:00.000Z" in the legacy namespace, worked out
    // apart from the code (SHA-1, RFC 9562): Terraform's state holds it, so it never moves.
    expect(fetched.json.id).toBe('a30e836a-85ed-50fb-a6c7-d46ef2093c42')
    ddb
      .on(GetCommand)
      .resolves({ Item: { ...projectItem('web'), createdAt: '2026-11-02T00:00:00.000Z' } })
    const remade = await invoke(get, {
      method: 'GET',
      url: '/v1/teams/acme/projects/web',
      token: await bearer('member'),
      params: { team: 'acme', project: 'web' },
    })
    expect(remade.json.id).not.toBe(fetched.json.id) // made again: another project, another id
  })

  it('answers a DELETE of no project with the 404 body naming it', async () => {
    ddb.on(UpdateCommand).rejects(awsError('ConditionalCheckFailedException'))
    const reply = await invoke(remove, {
      method: 'DELETE',
      url: '/v1/teams/acme/projects/web',
      token: await bearer('admin'),
      params: { team: 'acme', project: 'web' },
    })
    expect(reply.json).toEqual({
      code: 'resource_does_not_exist',
      message: 'The project does not exist.',
      errors: [],
    })
  })

  it("lists none of a closing project's servers: 404, though the page's Query found some", async () => {
    const { handler: servers } = await import('../../../functions/servers/list.js')
    const server = {
      PK: 'TEAM#acme#PROJECT#web',
      SK: 'SERVER#s1',
      kind: 'Server',
      team: 'acme',
      project: 'web',
      id: 's1',
      hostname: 'web-1',
    }
    ddb.on(QueryCommand).resolves({ Items: [server] })
    const listServers = async () =>
      invoke(servers, {
        method: 'GET',
        url: '/v1/teams/acme/projects/web/servers',
        token: await bearer('member'),
        params: { team: 'acme', project: 'web' },
      })
    ddb
      .on(GetCommand)
      .resolves({ Item: { ...projectItem('web'), deleting: '2026-11-02T00:00:00.000Z' } })
    const closing = await listServers()
    expect(closing.statusCode).toBe(404)
    expect(closing.json.message).toBe('The project does not exist.')
    ddb.on(GetCommand).resolves({})
    expect((await listServers()).statusCode).toBe(404)
  })

  describe('order: descending and prev, spelled as Go parses a bool', () => {
    it('reads forward by default, with no ScanIndexForward sent', async () => {
      ddb.on(QueryCommand).resolves({ Items: [projectItem('a')] })
      await listWith('count=5')
      expect(queried()).toEqual([
        {
          TableName: TABLE,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
          ExpressionAttributeValues: { ':pk': 'TEAM#acme', ':prefix': 'PROJECT#' },
          Limit: 6,
          ConsistentRead: true,
        },
      ])
    })

    it.each(['1', 't', 'T', 'true', 'TRUE', 'True'])(
      'descending=%s reads backward',
      async (value) => {
        ddb.on(QueryCommand).resolves({ Items: [projectItem('b'), projectItem('a')] })
        const reply = await listWith(`count=5&descending=${value}`)
        expect(reply.statusCode).toBe(200)
        expect(queried()[0]).toMatchObject({ ScanIndexForward: false })
        expect(reply.json.list.map((p: { name: string }) => p.name)).toEqual(['b', 'a'])
      },
    )

    it.each(['0', 'f', 'F', 'false', 'FALSE', 'False'])(
      'descending=%s names the ascending order: refused with a descending cursor',
      async (value) => {
        ddb.on(QueryCommand).resolves({ Items: [projectItem('a')] })
        const clash = await listWith(
          `descending=${value}&offset=${cursor('PROJECT#m', { descending: true })}`,
        )
        expect(clash.statusCode).toBe(400)
        expect(clash.json.errors).toEqual([
          { description: 'offset', message: 'belongs to another filter or order of this list' },
        ])
        const same = await listWith(`descending=${value}&offset=${cursor('PROJECT#m')}`)
        expect(same.statusCode).toBe(200)
        expect(queried()).toHaveLength(1)
        expect(queried()[0]?.ScanIndexForward).toBeUndefined()
      },
    )

    it('takes any other spelling as not given: the cursor keeps its order', async () => {
      ddb.on(QueryCommand).resolves({ Items: [projectItem('a')] })
      const reply = await listWith(
        `descending=yes&offset=${cursor('PROJECT#m', { descending: true })}`,
      )
      expect(reply.statusCode).toBe(200)
      expect(queried()[0]).toMatchObject({
        ScanIndexForward: false,
        ExclusiveStartKey: { PK: 'TEAM#acme', SK: 'PROJECT#m' },
      })
    })

    it('prev=true after a cursor reads the page before it, shown in order, linked both ways', async () => {
      // Read backward from "m": nearest first, and one more than the count (more remain).
      ddb.on(QueryCommand).resolves({ Items: ['l', 'k', 'j'].map(projectItem) })
      const reply = await listWith(`count=2&prev=true&offset=${cursor('PROJECT#m')}`)
      expect(reply.statusCode).toBe(200)
      expect(queried()[0]).toMatchObject({
        ScanIndexForward: false,
        ExclusiveStartKey: { PK: 'TEAM#acme', SK: 'PROJECT#m' },
        Limit: 3,
      })
      expect(reply.json.list.map((p: { name: string }) => p.name)).toEqual(['k', 'l'])
      const { next, prev } = links(reply.headers?.link)
      expect(decoded(next).after).toBe('PROJECT#l') // on after the last shown
      expect(decoded(prev).after).toBe('PROJECT#k') // further back, before the first shown
    })

    it('prev=true on a descending list reads forward; prev=true with no cursor is the first page', async () => {
      ddb.on(QueryCommand).resolves({ Items: ['n', 'o'].map(projectItem) })
      const back = await listWith(
        `count=5&prev=1&offset=${cursor('PROJECT#m', { descending: true })}`,
      )
      expect(back.json.list.map((p: { name: string }) => p.name)).toEqual(['o', 'n'])
      expect(queried()[0]?.ScanIndexForward).toBeUndefined()
      ddb.reset()
      ddb.on(QueryCommand).resolves({ Items: ['a', 'b'].map(projectItem) })
      const first = await listWith('count=5&prev=true')
      expect(first.json.list.map((p: { name: string }) => p.name)).toEqual(['a', 'b'])
      expect(queried()[0]?.ScanIndexForward).toBeUndefined()
      expect(first.headers?.link).toBeUndefined()
    })

    it('prev in any other spelling reads on after the cursor', async () => {
      ddb.on(QueryCommand).resolves({ Items: ['n', 'o', 'p'].map(projectItem) })
      const reply = await listWith(`count=2&prev=maybe&offset=${cursor('PROJECT#m')}`)
      expect(reply.json.list.map((p: { name: string }) => p.name)).toEqual(['n', 'o'])
      expect(queried()[0]?.ScanIndexForward).toBeUndefined()
      expect(decoded(links(reply.headers?.link).prev).after).toBe('PROJECT#n')
    })

    it('gives the last page reached by a cursor no Link, not even rel="prev" (oktapam follows any)', async () => {
      ddb.on(QueryCommand).resolves({ Items: ['n', 'o'].map(projectItem) })
      const reply = await listWith(`count=5&offset=${cursor('PROJECT#m')}`)
      expect(reply.json.list.map((p: { name: string }) => p.name)).toEqual(['n', 'o'])
      expect(reply.headers?.link).toBeUndefined()
    })
  })
})
