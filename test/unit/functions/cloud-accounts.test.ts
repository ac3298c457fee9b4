import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { handler as create } from '../../../functions/cloud-accounts/create.js'
import { handler as remove } from '../../../functions/cloud-accounts/delete.js'
import { handler as list } from '../../../functions/cloud-accounts/list.js'
import { handler as deleteProject } from '../../../functions/projects/delete.js'
import { keys, projectChildren } from '../../../shared/data/keys.js'
import { admits, awsIdentity } from '../../../shared/domain/cloud-accounts.js'
import { routes } from '../../../shared/routes.js'
import { cancelled } from '../../support/aws-errors.js'
import { invoke } from '../../support/invoke.js'
import { serviceJwt } from '../../support/jwt.js'

const ddb = mockClient(DynamoDBDocumentClient)
const TABLE = 'latchkey-unit'
const PK = 'TEAM#acme#PROJECT#web'
const ID = '0193a0a0-0000-7000-8000-000000000009'
const ACCOUNT = '111122223333'
const params = { team: 'acme', project: 'web' }
const url = '/v1/teams/acme/projects/web/cloud_accounts'

const bearer = (role: 'admin' | 'member') => serviceJwt({ role })

beforeEach(() => {
  ddb.reset()
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
})

describe('cloud accounts: calls and exact inputs', () => {
  it('registers with one transaction: the project open, the account written once', async () => {
    ddb.on(TransactWriteCommand).resolves({})
    const roleArns = [`arn:aws:iam::${ACCOUNT}:role/web-*`]
    const reply = await invoke(create, {
      method: 'POST',
      url,
      token: await bearer('admin'),
      params,
      body: { provider: 'aws', account_id: ACCOUNT, role_arns: roleArns },
    })
    expect(reply.statusCode).toBe(201)
    expect(ddb.calls()).toHaveLength(routes.createCloudAccount.calls['service token'])
    const [check, put] =
      ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? []
    expect(check?.ConditionCheck).toEqual({
      TableName: TABLE,
      Key: { PK: 'TEAM#acme', SK: 'PROJECT#web' },
      ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(deleting)',
    })
    expect(put?.Put).toEqual({
      TableName: TABLE,
      Item: {
        PK,
        SK: `CLOUDACCOUNT#${reply.json.id}`,
        kind: 'CloudAccount',
        team: 'acme',
        project: 'web',
        id: reply.json.id,
        provider: 'aws',
        accountId: ACCOUNT,
        roleArns,
        description: undefined,
        createdAt: reply.json.created_at,
        createdBy: 'ann',
      },
      ConditionExpression: 'attribute_not_exists(PK)',
    })
    expect(reply.json).toMatchObject({
      account_id: ACCOUNT,
      role_arns: roleArns,
      description: null,
    })
  })

  it('refuses role ARNs of another account with 400 and no call', async () => {
    const reply = await invoke(create, {
      method: 'POST',
      url,
      token: await bearer('admin'),
      params,
      body: {
        provider: 'aws',
        account_id: ACCOUNT,
        role_arns: ['arn:aws:iam::999999999999:role/x'],
      },
    })
    expect(reply.statusCode).toBe(400)
    expect(reply.json.errors).toEqual([
      { description: 'role_arns.0', message: 'names another account than account_id' },
    ])
    expect(ddb.calls()).toHaveLength(0)
  })

  it('answers 404 when the project is missing or closing', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'))
    const reply = await invoke(create, {
      method: 'POST',
      url,
      token: await bearer('admin'),
      params,
      body: { provider: 'aws', account_id: ACCOUNT },
    })
    expect(reply.statusCode).toBe(404)
  })

  it('lists with one Query for a member, the project read beside it', async () => {
    ddb.on(GetCommand).resolves({ Item: { ...keys.project('acme', 'web'), kind: 'Project' } })
    ddb.on(QueryCommand).resolves({
      Items: [
        {
          ...keys.cloudAccount('acme', 'web', ID),
          kind: 'CloudAccount',
          team: 'acme',
          project: 'web',
          id: ID,
          provider: 'aws',
          accountId: ACCOUNT,
          roleArns: [],
          createdAt: '2026-11-01T00:00:00.000Z',
          createdBy: 'ann',
        },
      ],
    })
    const reply = await invoke(list, { method: 'GET', url, token: await bearer('member'), params })
    expect(reply.statusCode).toBe(200)
    expect(reply.json).toEqual({
      list: [
        {
          id: ID,
          provider: 'aws',
          account_id: ACCOUNT,
          role_arns: [],
          description: null,
          created_at: '2026-11-01T00:00:00.000Z',
        },
      ],
    })
    expect(ddb.calls()).toHaveLength(routes.listCloudAccounts.calls['service token'])
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TABLE,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': PK, ':prefix': 'CLOUDACCOUNT#' },
      Limit: 101,
      ConsistentRead: true,
    })
  })

  it('removes with one transaction: the account and its deletion record', async () => {
    ddb.on(TransactWriteCommand).resolves({})
    const reply = await invoke(remove, {
      method: 'DELETE',
      url: `${url}/${ID}`,
      token: await bearer('admin'),
      params: { ...params, cloudAccountId: ID },
    })
    expect(reply.statusCode).toBe(204)
    expect(ddb.calls()).toHaveLength(routes.deleteCloudAccount.calls['service token'])
    const [del, tombstone] =
      ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? []
    expect(del?.Delete).toEqual({
      TableName: TABLE,
      Key: { PK, SK: `CLOUDACCOUNT#${ID}` },
      ConditionExpression: 'attribute_exists(PK)',
    })
    expect(tombstone?.Put?.Item).toMatchObject({
      PK,
      SK: `TOMBSTONE#CLOUDACCOUNT#${ID}`,
      kind: 'Tombstone',
      entity: 'CloudAccount',
      id: ID,
      deletedBy: 'ann',
    })
    ddb.reset()
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'))
    const again = await invoke(remove, {
      method: 'DELETE',
      url: `${url}/${ID}`,
      token: await bearer('admin'),
      params: { ...params, cloudAccountId: ID },
    })
    expect(again.statusCode).toBe(404)
  })
})

describe('project deletion takes its cloud accounts', () => {
  it('marks the project in one UpdateItem; its step finds every child kind with one Query', async () => {
    ddb.on(UpdateCommand).resolves({})
    const reply = await invoke(deleteProject, {
      method: 'DELETE',
      url: '/v1/teams/acme/projects/web',
      token: await bearer('admin'),
      params,
    })
    expect(reply.statusCode).toBe(204)
    expect(ddb.calls()).toHaveLength(routes.deleteProject.calls['service token'])
    ddb.reset()
    const marked = { ...keys.project('acme', 'web'), kind: 'Project', deleting: 'T' }
    ddb.on(GetCommand).resolves({ Item: marked })
    ddb.on(QueryCommand).resolves({
      Items: [
        { PK, SK: `CLOUDACCOUNT#${ID}`, id: ID, kind: 'CloudAccount' },
        { PK, SK: `SERVER#${ID}`, id: ID, kind: 'Server', secretHash: 'h' },
      ],
    })
    const { BatchWriteCommand } = await import('@aws-sdk/lib-dynamodb')
    ddb.on(BatchWriteCommand).resolves({})
    const { deleteProjectStep } = await import('../../../shared/data/projects.js')
    const deletion = { team: 'acme', project: 'web', deletedBy: 'ann', deletedAt: 'T' }
    expect(await deleteProjectStep(deletion)).toBe('done')
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 1)
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TABLE,
      KeyConditionExpression: 'PK = :pk AND SK < :before',
      ExpressionAttributeValues: { ':pk': PK, ':before': 'TOMBSTONE#' },
      ProjectionExpression: 'PK, SK, id, secretHash, #kind',
      ExpressionAttributeNames: { '#kind': 'kind' },
      Limit: 1000,
      ConsistentRead: true,
    })
    // The deletion records first, then the deletes.
    const [records, deletes] = ddb
      .commandCalls(BatchWriteCommand)
      .map((call) => call.args[0].input.RequestItems?.[TABLE])
    expect(records?.map((r) => r.PutRequest?.Item)).toEqual([
      expect.objectContaining({ SK: `TOMBSTONE#CLOUDACCOUNT#${ID}`, entity: 'CloudAccount' }),
      expect.objectContaining({ SK: `TOMBSTONE#SERVER#${ID}`, entity: 'Server', secretHash: 'h' }),
    ])
    expect(deletes?.map((r) => r.DeleteRequest?.Key)).toEqual([
      { PK, SK: `CLOUDACCOUNT#${ID}` },
      { PK, SK: `SERVER#${ID}` },
    ])
  })

  it('keeps every project child before its deletion records, so that one Query finds them', () => {
    const { before } = projectChildren('acme', 'web')
    for (const key of [
      keys.enrollmentToken('acme', 'web', ID),
      keys.server('acme', 'web', ID),
      keys.cloudAccount('acme', 'web', ID),
    ]) {
      expect(key.PK).toBe(projectChildren('acme', 'web').PK)
      expect(key.SK < before).toBe(true)
    }
    expect(keys.tombstone(keys.server('acme', 'web', ID)).SK >= before).toBe(true)
  })
})

describe('which identities an account admits', () => {
  const account = (roleArns: string[]) => ({
    team: 'acme',
    project: 'web',
    id: ID,
    provider: 'aws' as const,
    accountId: ACCOUNT,
    roleArns,
    description: null,
    createdAt: '',
    createdBy: 'ann',
  })
  const role = (name: string, session = 'i-0123456789abcdef0', acct = ACCOUNT) =>
    awsIdentity(acct, `arn:aws:sts::${acct}:assumed-role/${name}/${session}`)

  it.each([
    [[], role('anything'), true],
    [[], role('web', 'i-0123456789abcdef0', '999999999999'), false],
    [[`arn:aws:iam::${ACCOUNT}:role/web-*`], role('web-01'), true],
    [[`arn:aws:iam::${ACCOUNT}:role/web-*`], role('db'), false],
    [[`arn:aws:iam::${ACCOUNT}:role/fleet/web`], role('web'), true], // STS drops the path
    [[`arn:aws:iam::${ACCOUNT}:role/web`], role('web-01'), false], // exact without *
    [
      [`arn:aws:iam::${ACCOUNT}:role/web`],
      awsIdentity(ACCOUNT, `arn:aws:iam::${ACCOUNT}:user/web`),
      false,
    ],
  ])('%j admits %j: %s', (roleArns, identity, expected) => {
    expect(admits(account(roleArns), identity)).toBe(expected)
  })

  it('reads no role from an ARN of another account than STS named', () => {
    expect(
      awsIdentity(ACCOUNT, 'arn:aws:sts::999999999999:assumed-role/web/i-1').role,
    ).toBeUndefined()
  })
})
