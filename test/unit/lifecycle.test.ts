import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import { marshall } from '@aws-sdk/util-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { listedBytes } from '../../shared/data/access-tokens.js'
import { AccessToken } from '../../shared/data/entities.js'
import { dueAction, nextDue } from '../../shared/data/token-due.js'
import { sweep } from '../../shared/domain/sweeper.js'
import { auditingSink } from '../../shared/events/audit.js'
import { type DomainEvent, type StreamRecord, toEvent } from '../../shared/events/events.js'
import type { EventSink } from '../../shared/events/publish.js'
import { awsError, cancelled, conditionFailed } from '../support/aws-errors.js'

const ddb = mockClient(DynamoDBDocumentClient)
const TABLE = 'latchkey-unit'
const DAY = 86_400_000
const NOW = new Date('2026-11-22T10:00:00.000Z')
const at = (days: number) => new Date(NOW.getTime() + days * DAY).toISOString()

beforeEach(() => {
  ddb.reset()
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
})

describe('when a token is due', () => {
  it('is due at its 7-day warning, then its 1-day warning, then its expiry; never without one', () => {
    expect(nextDue(at(30), null, NOW)).toBe(at(23))
    expect(nextDue(at(30), 7, NOW)).toBe(at(29))
    expect(nextDue(at(30), 1, NOW)).toBe(at(30))
    // A warning whose time passed before the token was made is skipped.
    expect(nextDue(at(3), null, NOW)).toBe(at(2))
    expect(nextDue(at(0.5), null, NOW)).toBe(at(0.5))
    expect(nextDue(null, null, NOW)).toBeUndefined()
  })

  it('sends the warning closest to expiry that has come, once, and expires at expiry', () => {
    expect(dueAction(at(6), null, NOW)).toEqual({ kind: 'warn', days: 7 })
    expect(dueAction(at(6), 7, NOW)).toBeUndefined()
    // A sweeper that was down past both warnings sends only the closer one.
    expect(dueAction(at(0.5), null, NOW)).toEqual({ kind: 'warn', days: 1 })
    expect(dueAction(at(0.5), 1, NOW)).toBeUndefined()
    expect(dueAction(at(0), 1, NOW)).toEqual({ kind: 'expire' })
    expect(dueAction(at(8), null, NOW)).toBeUndefined()
    expect(dueAction(null, null, NOW)).toBeUndefined()
  })
})

const token = {
  PK: 'TEAM#acme#USER#bob',
  SK: 'PAT#0000000000000002',
  kind: 'AccessToken',
  team: 'acme',
  username: 'bob',
  id: 2,
  name: 'ci',
  secretHash: 'h',
  dateCreated: '2026-11-01T00:00:00.000Z',
  expiresAt: at(6),
}
const record = (eventName: StreamRecord['eventName'], before?: object, after?: object) =>
  ({
    eventID: 'r1',
    eventName,
    dynamodb: {
      ApproximateCreationDateTime: NOW.getTime() / 1000,
      ...(before && { OldImage: marshall(before, { removeUndefinedValues: true }) }),
      ...(after && { NewImage: marshall(after, { removeUndefinedValues: true }) }),
    },
  }) as StreamRecord

describe('lifecycle events from the change stream', () => {
  it('turns a recorded warning into AccessTokenExpiringSoon, once', () => {
    const warned = { ...token, expiryWarned: 7, expiryWarnedAt: NOW.toISOString() }
    expect(toEvent(record('MODIFY', token, warned))).toEqual({
      id: 'r1',
      type: 'AccessTokenExpiringSoon',
      time: NOW.toISOString(),
      detail: {
        team: 'acme',
        actor: 'sweeper',
        user: 'bob',
        token_id: 2,
        token_name: 'ci',
        expires_at: at(6),
        days_left: 7,
      },
    })
    // lastUsed changing on a warned token is quiet; so is a removal's mark.
    expect(toEvent(record('MODIFY', warned, { ...warned, lastUsed: NOW.toISOString() }))).toBe(
      undefined,
    )
    expect(toEvent(record('MODIFY', warned, { ...warned, removalBy: 'ann' }))).toBeUndefined()
  })

  it('names why a token went: expiry (TTL or sweeper), inactivity, an admin, its owner', () => {
    const ttl = {
      ...record('REMOVE', token),
      userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
    }
    expect(toEvent(ttl)).toMatchObject({
      type: 'AccessTokenExpired',
      detail: { actor: 'expiry', user: 'bob', token_id: 2, expires_at: at(6) },
    })
    const mark = (by: string, reason: string) => ({
      ...token,
      removalBy: by,
      removalReason: reason,
      removalAt: '2026-11-22T09:00:00.000Z',
    })
    expect(toEvent(record('REMOVE', mark('expiry', 'expired')))).toMatchObject({
      type: 'AccessTokenExpired',
      time: '2026-11-22T09:00:00.000Z',
    })
    expect(toEvent(record('REMOVE', mark('sweeper', 'inactive')))).toEqual({
      id: 'r1',
      type: 'AccessTokenRevokedForInactivity',
      time: '2026-11-22T09:00:00.000Z',
      detail: {
        team: 'acme',
        actor: 'sweeper',
        user: 'bob',
        token_id: 2,
        last_used: null,
        created_at: '2026-11-01T00:00:00.000Z',
      },
    })
    expect(toEvent(record('REMOVE', mark('ann', 'admin')))).toMatchObject({
      type: 'AccessTokenDeleted',
      detail: { actor: 'ann', user: 'bob', token_id: 2 },
    })
    expect(toEvent(record('REMOVE', token))).toMatchObject({
      type: 'AccessTokenDeleted',
      time: NOW.toISOString(),
      detail: { actor: 'bob' },
    })
  })
})

describe('the sweeper: calls and exact inputs', () => {
  const indexed = (over: object) => ({
    ...token,
    secretHash: undefined,
    GSI1PK: 'TEAM#acme#TOKENS',
    GSI1SK: `${at(-1)}#bob#0000000000000002`,
    ...over,
  })

  it('reads teams and due tokens through the index and writes one warning, conditionally', async () => {
    ddb.on(GetCommand).resolves({})
    ddb
      .on(QueryCommand, { IndexName: 'GSI1', ExpressionAttributeValues: { ':pk': 'TEAMS' } })
      .resolves({ Items: [{ name: 'acme' }] })
    ddb
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'TEAM#acme#TOKENS' } }, false)
      .resolves({ Items: [indexed({})] })
    ddb.on(UpdateCommand).resolves({})
    ddb.on(DeleteCommand).resolves({})
    const report = await sweep({ now: NOW })
    expect(report).toEqual({ teams: 1, warned: 1, expired: 0, revoked: 0, done: true })
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TABLE,
      IndexName: 'GSI1',
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': 'GSI1PK', '#name': 'name' },
      ExpressionAttributeValues: { ':pk': 'TEAMS' },
      ProjectionExpression: '#name',
      Limit: 100,
    })
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TABLE,
      IndexName: 'GSI1',
      KeyConditionExpression: '#pk = :pk AND #sk < :before',
      ExpressionAttributeNames: { '#pk': 'GSI1PK', '#sk': 'GSI1SK' },
      ExpressionAttributeValues: { ':pk': 'TEAM#acme#TOKENS', ':before': `${NOW.toISOString()}$` },
      ExclusiveStartKey: undefined,
      Limit: 101,
    })
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: TABLE,
      Key: { PK: 'TEAM#acme#USER#bob', SK: 'PAT#0000000000000002' },
      UpdateExpression: 'SET expiryWarned = :days, expiryWarnedAt = :now, #sk = :sk',
      ConditionExpression:
        'attribute_exists(PK) AND expiresAt = :expiresAt AND (attribute_not_exists(expiryWarned) OR expiryWarned > :days)',
      ExpressionAttributeNames: { '#sk': 'GSI1SK' },
      ExpressionAttributeValues: {
        ':days': 7,
        ':now': NOW.toISOString(),
        ':sk': `${at(5)}#bob#0000000000000002`,
        ':expiresAt': at(6),
      },
    })
    // State: where to resume (none), the team's policy (none).
    expect(ddb).toHaveReceivedCommandWith(GetCommand, {
      TableName: TABLE,
      Key: { PK: 'SWEEPER', SK: 'SWEEPER' },
      ConsistentRead: true,
    })
    expect(ddb).toHaveReceivedCommandWith(GetCommand, {
      TableName: TABLE,
      Key: { PK: 'TEAM#acme', SK: 'TOKENPOLICY' },
      ConsistentRead: true,
    })
    expect(ddb).toHaveReceivedCommandWith(DeleteCommand, {
      TableName: TABLE,
      Key: { PK: 'SWEEPER', SK: 'SWEEPER' },
    })
    expect(ddb.calls()).toHaveLength(6)
  })

  it('counts nothing when the warning was already written (a second run, a second sweeper)', async () => {
    ddb.on(GetCommand).resolves({})
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'TEAMS' } }).resolves({
      Items: [{ name: 'acme' }],
    })
    ddb
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'TEAM#acme#TOKENS' } }, false)
      .resolves({ Items: [indexed({})] })
    ddb.on(UpdateCommand).rejects(conditionFailed())
    expect(await sweep({ now: NOW })).toMatchObject({ warned: 0, expired: 0 })
  })

  it('expires a token past its expiry: marked as the sweeper saw it, then deleted', async () => {
    ddb.on(GetCommand).resolves({})
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'TEAMS' } }).resolves({
      Items: [{ name: 'acme' }],
    })
    ddb
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'TEAM#acme#TOKENS' } }, false)
      .resolves({ Items: [indexed({ expiresAt: at(-1), expiryWarned: 1 })] })
    const marked = { ...indexed({ expiresAt: at(-1), expiryWarned: 1 }), name: 'ci' }
    ddb.on(UpdateCommand).resolves({ Attributes: marked })
    ddb.on(TransactWriteCommand).resolves({})
    expect(await sweep({ now: NOW })).toMatchObject({ expired: 1 })
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: TABLE,
      Key: { PK: 'TEAM#acme#USER#bob', SK: 'PAT#0000000000000002' },
      UpdateExpression: 'SET removalBy = :by, removalReason = :reason, removalAt = :at',
      ConditionExpression: 'attribute_exists(PK) AND (expiresAt <= :now)',
      ExpressionAttributeValues: {
        ':by': 'expiry',
        ':reason': 'expired',
        ':at': NOW.toISOString(),
        ':now': NOW.toISOString(),
      },
      ReturnValues: 'ALL_NEW',
    })
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1)
    // The token, its name guard and its owner's quota count and listed bytes go together.
    expect(ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[2]).toEqual({
      Update: {
        TableName: TABLE,
        Key: { PK: 'TEAM#acme', SK: 'USER#bob' },
        UpdateExpression:
          'ADD tokenCount :by SET tokenBytes = if_not_exists(tokenBytes, :unmeasured) - :bytes',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: {
          ':by': -1,
          ':bytes': listedBytes(AccessToken.decode(marked)),
          ':unmeasured': 2 ** 50,
        },
      },
    })
  })

  it('stops at its budget and starts the next run with the team it stopped in', async () => {
    ddb.on(GetCommand).resolves({})
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'TEAMS' } }).resolves({
      Items: [{ name: 'acme' }, { name: 'zeta' }],
    })
    ddb
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'TEAM#acme#TOKENS' } }, false)
      .resolves({ Items: [indexed({})] })
    ddb.on(UpdateCommand).resolves({})
    ddb.on(PutCommand).resolves({})
    expect(await sweep({ now: NOW, budget: 1 })).toEqual({
      teams: 1,
      warned: 1,
      expired: 0,
      revoked: 0,
      done: false,
    })
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: { PK: 'SWEEPER', SK: 'SWEEPER', kind: 'SweeperCursor', resumeTeam: 'acme' },
    })
  })
})

describe('the audit trail, written by the stream consumer', () => {
  const event = (id: string): DomainEvent => ({
    id,
    type: 'ProjectCreated',
    time: '2026-11-22T10:00:00.000Z',
    detail: { team: 'acme', project: 'web', actor: 'ann' },
  })
  const inner: EventSink = { put: async (events) => events.map(() => 'accepted' as const) }

  it('keeps each event with a guard on its id in one transaction, then publishes it', async () => {
    ddb.on(TransactWriteCommand).resolves({})
    const put = vi.spyOn(inner, 'put')
    expect(await auditingSink(inner, 400).put([event('e1')])).toEqual(['accepted'])
    const ttl = Date.parse('2026-11-22T10:00:00.000Z') / 1000 + 400 * 86_400
    const expiresAt = new Date(ttl * 1000).toISOString() // 400 days on: 2027-12-27
    expect(expiresAt).toBe('2027-12-27T10:00:00.000Z')
    expect(ddb).toHaveReceivedCommandWith(TransactWriteCommand, {
      TransactItems: [
        {
          Put: {
            TableName: TABLE,
            Item: {
              PK: 'TEAM#acme#AUDIT',
              SK: 'AUDIT#2026-11-22T10:00:00.000Z#e1',
              kind: 'AuditRecord',
              id: 'e1',
              team: 'acme',
              type: 'ProjectCreated',
              actor: 'ann',
              time: '2026-11-22T10:00:00.000Z',
              event: JSON.stringify({
                id: 'e1',
                source: 'latchkey',
                'detail-type': 'ProjectCreated',
                time: '2026-11-22T10:00:00.000Z',
                detail: { team: 'acme', project: 'web', actor: 'ann' },
              }),
              expiresAt,
              ttl,
            },
          },
        },
        {
          Put: {
            TableName: TABLE,
            Item: {
              PK: 'TEAM#acme#AUDIT',
              SK: 'AUDITID#e1',
              kind: 'AuditGuard',
              team: 'acme',
              eventId: 'e1',
              expiresAt,
              ttl,
            },
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
      ],
    })
    expect(put).toHaveBeenCalledOnce()
  })

  it('writes a redelivered batch again without the events it already kept', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled('None', 'ConditionalCheckFailed', 'None', 'None'))
      .resolves({})
    await auditingSink(inner, 400).put([event('e1'), event('e2')])
    const calls = ddb.commandCalls(TransactWriteCommand)
    expect(calls).toHaveLength(2)
    expect(calls[1]?.args[0].input.TransactItems?.map((i) => i.Put?.Item?.SK)).toEqual([
      'AUDIT#2026-11-22T10:00:00.000Z#e2',
      'AUDITID#e2',
    ])
  })

  it('publishes nothing when the trail cannot be written, so the batch is retried whole', async () => {
    ddb.on(TransactWriteCommand).rejects(awsError('InternalServerError'))
    const put = vi.spyOn(inner, 'put')
    put.mockClear()
    await expect(auditingSink(inner, 400).put([event('e1')])).rejects.toThrow('InternalServerError')
    expect(put).not.toHaveBeenCalled()
  })
})
