import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, describe, expect, it } from 'vitest'
import {
  deleteAllAccessTokens,
  markAccessTokenLeaked,
  pageCovers,
  putAccessToken,
  recountAccessTokens,
  removeCounted,
  rotateAccessToken,
  touchAccessToken,
} from '../../shared/data/access-tokens.js'
import { revokeAllAccessTokens } from '../../shared/data/token-revocation.js'
import { cancelled, conditionFailed, throttled } from '../support/aws-errors.js'

/**
 * shared/data/access-tokens.ts on its own, with a mocked table: what each write does
 * when DynamoDB refuses its condition (an answer) and when it fails (an error, never
 * read as an answer), and the counts and boundaries the routes' tests pass through.
 */

const ddb = mockClient(DynamoDBDocumentClient)
const TABLE = 'latchkey-unit'
const USER = { PK: 'TEAM#acme', SK: 'USER#alice' }
const PK = 'TEAM#acme#USER#alice'
const pat = (id: number) => `PAT#${String(id).padStart(16, '0')}`
const updates = () => ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)

beforeEach(() => ddb.reset())

describe('deleteAllAccessTokens (a user deleted by the operator)', () => {
  it('deletes every PAT item, page by page, and counts tokens only: not name guards, not the mark', async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({
        Items: [
          { PK, SK: 'PAT#' },
          { PK, SK: pat(1) },
          { PK, SK: pat(2) },
        ],
        LastEvaluatedKey: { PK, SK: pat(2) },
      })
      .resolvesOnce({
        Items: [
          { PK, SK: 'PATNAME#ci' },
          { PK, SK: 'PATNAME#laptop' },
        ],
      })
    ddb.on(BatchWriteCommand).resolves({})
    expect(await deleteAllAccessTokens('acme', 'alice')).toBe(2)
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': PK, ':prefix': 'PAT' },
      ProjectionExpression: 'PK, SK',
    })
    const deleted = ddb
      .commandCalls(BatchWriteCommand)
      .flatMap((call) => call.args[0].input.RequestItems?.[TABLE] ?? [])
      .map((request) => request.DeleteRequest?.Key?.SK)
    expect(deleted).toEqual(['PAT#', pat(1), pat(2), 'PATNAME#ci', 'PATNAME#laptop'])
    // The user is gone already: no count to lower, and none written (one written would
    // start a user re-created under the same name below zero, past their quota).
    expect(ddb.calls().map((call) => call.args[0].constructor.name)).toEqual([
      'QueryCommand',
      'BatchWriteCommand',
      'QueryCommand',
      'BatchWriteCommand',
    ])
  })

  it('answers 0 when only the mark was left, and throws what DynamoDB throws', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ PK, SK: 'PAT#' }] })
    ddb.on(BatchWriteCommand).resolves({})
    expect(await deleteAllAccessTokens('acme', 'alice')).toBe(0)
    ddb.on(BatchWriteCommand).rejects(throttled())
    await expect(deleteAllAccessTokens('acme', 'alice')).rejects.toThrow('ThrottlingException')
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand)
  })
})

describe('writes whose refused condition is an answer, and whose failure is an error', () => {
  it('revokeAllAccessTokens: the mark and its mirror in one transaction; a user deleted meanwhile gets the mark alone', async () => {
    const now = new Date('2026-11-26T10:00:00.000Z')
    const mark = {
      TableName: TABLE,
      Item: {
        PK,
        SK: 'PAT#',
        kind: 'TokenRevocation',
        team: 'acme',
        username: 'alice',
        revokedThrough: 42,
        revokedAt: now.toISOString(),
        sweepRound: 0,
      },
      ConditionExpression: 'attribute_not_exists(revokedThrough) OR revokedThrough < :id',
      ExpressionAttributeValues: { ':id': 42 },
    }
    ddb.on(QueryCommand).resolves({ Items: [{ kind: 'AccessToken', id: 42 }] })
    ddb.on(TransactWriteCommand).rejects(cancelled('None', 'ConditionalCheckFailed'))
    ddb.on(PutCommand).resolves({})
    expect(await revokeAllAccessTokens('acme', 'alice', now)).toBe(true)
    expect(ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems).toEqual([
      { Put: mark },
      {
        Update: {
          TableName: TABLE,
          Key: USER,
          UpdateExpression: 'SET revokedThrough = :id, tokenCount = :zero',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeValues: { ':id': 42, ':zero': 0 },
        },
      },
    ])
    // Never recreates the user: the mark alone, on its own condition.
    expect(ddb.commandCalls(PutCommand).map((call) => call.args[0].input)).toEqual([mark])
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand)
    // A later delete-all raised the mark meanwhile: not this one's write.
    ddb.on(PutCommand).rejects(conditionFailed())
    expect(await revokeAllAccessTokens('acme', 'alice', now)).toBe(false)
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'))
    expect(await revokeAllAccessTokens('acme', 'alice', now)).toBe(false)
    ddb.on(TransactWriteCommand).rejects(throttled())
    await expect(revokeAllAccessTokens('acme', 'alice', now)).rejects.toThrow('ThrottlingException')
  })

  it('rotateAccessToken: none to rotate is undefined; a throttle is thrown, not a 404', async () => {
    const rotate = () =>
      rotateAccessToken('acme', 'alice', 7, {
        secretHash: 'h2',
        now: '2026-11-26T00:00:00.000Z',
        graceUntil: null,
      })
    ddb.on(UpdateCommand).rejects(conditionFailed())
    await expect(rotate()).resolves.toBeUndefined()
    ddb.on(UpdateCommand).rejects(throttled())
    await expect(rotate()).rejects.toThrow('ThrottlingException')
  })

  it('markAccessTokenLeaked: an old secret or a second report is false; a throttle is thrown', async () => {
    const leak = { url: 'https://github.com/x/y/blob/main/.env', source: 'github' }
    const mark = () => markAccessTokenLeaked('acme', 'alice', 7, 'h1', leak, '2026-11-26T00:00:00Z')
    ddb.on(UpdateCommand).resolves({})
    expect(await mark()).toBe(true)
    ddb.on(UpdateCommand).rejects(conditionFailed())
    expect(await mark()).toBe(false)
    ddb.on(UpdateCommand).rejects(throttled())
    await expect(mark()).rejects.toThrow('ThrottlingException')
  })

  it('touchAccessToken: true when it wrote; a lost race is an answer (false), a throttle an error', async () => {
    const touch = () => touchAccessToken('acme', 'alice', 7, new Date(), 60_000)
    ddb.on(UpdateCommand).resolves({})
    await expect(touch()).resolves.toBe(true)
    ddb.on(UpdateCommand).rejects(conditionFailed())
    await expect(touch()).resolves.toBe(false)
    ddb.on(UpdateCommand).rejects(throttled())
    await expect(touch()).rejects.toThrow('ThrottlingException')
  })
})

describe('the count kept beside the tokens', () => {
  const deletes = (): Parameters<typeof removeCounted>[2] => [
    {
      Delete: {
        TableName: TABLE,
        Key: { PK, SK: pat(7) },
        ConditionExpression: 'attribute_exists(PK)',
      },
    },
    { Delete: { TableName: TABLE, Key: { PK, SK: 'PATNAME#ci' } } },
  ]

  it('removeCounted: a token already gone is the answer, with no second transaction', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejects(cancelled('ConditionalCheckFailed', 'None', 'ConditionalCheckFailed'))
    expect(await removeCounted('acme', 'alice', deletes())).toEqual([
      'ConditionalCheckFailed',
      'None',
      'ConditionalCheckFailed',
    ])
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1)
  })

  it('removeCounted: only the count refused (the user deleted meanwhile): the deletes alone', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled('None', 'None', 'ConditionalCheckFailed'))
      .resolves({})
    expect(await removeCounted('acme', 'alice', deletes())).toBeUndefined()
    const second = ddb.commandCalls(TransactWriteCommand)[1]?.args[0].input.TransactItems
    expect(second).toEqual(deletes())
  })

  it('putAccessToken: a token item already there under the id is an error, never a success', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejects(cancelled('ConditionalCheckFailed', 'None', 'None', 'None'))
    const token = {
      team: 'acme',
      username: 'alice',
      id: 7,
      name: 'ci',
      secretHash: 'h',
      dateCreated: '2026-11-26T00:00:00.000Z',
    } as Parameters<typeof putAccessToken>[0]
    await expect(putAccessToken(token, 10)).rejects.toThrow('token 7 was already written')
  })

  describe('recountAccessTokens (a create found the quota full)', () => {
    // The count comes from the refused create's read (OverQuota.counted): no read here.
    const stored = (present: number) => {
      ddb.on(QueryCommand).resolves({
        Items: Array.from({ length: present }, (_, n) => ({ kind: 'AccessToken', id: n + 1 })),
      })
      ddb.on(UpdateCommand).resolves({})
    }

    it('writes nothing when the count is right, or when the tokens there fill the quota', async () => {
      stored(3) // right, though under the quota: nothing to fix
      expect(await recountAccessTokens('acme', 'alice', 5, 3)).toBe(false)
      stored(5) // over-counted, but the 5 there fill the quota of 5
      expect(await recountAccessTokens('acme', 'alice', 5, 6)).toBe(false)
      expect(ddb).not.toHaveReceivedCommand(UpdateCommand)
      expect(ddb).not.toHaveReceivedCommand(GetCommand)
    })

    it('sets an over-count to what is there, conditional on the count read, and finds room', async () => {
      stored(4)
      expect(await recountAccessTokens('acme', 'alice', 5, 5)).toBe(true)
      expect(updates()).toEqual([
        {
          TableName: TABLE,
          Key: USER,
          UpdateExpression: 'SET tokenCount = :present',
          ConditionExpression: 'tokenCount = :counted',
          ExpressionAttributeValues: { ':present': 4, ':counted': 5 },
        },
      ])
    })

    it('a user item gone (deleted meanwhile): the conditional first count is refused, no room', async () => {
      stored(0)
      ddb.on(UpdateCommand).rejects(conditionFailed())
      expect(await recountAccessTokens('acme', 'alice', 5, undefined)).toBe(false)
      expect(updates()[0]?.ConditionExpression).toBe(
        'attribute_exists(PK) AND attribute_not_exists(tokenCount)',
      )
      ddb.on(UpdateCommand).rejects(throttled())
      await expect(recountAccessTokens('acme', 'alice', 5, undefined)).rejects.toThrow(
        'ThrottlingException',
      )
    })
  })
})

describe('pageCovers: whether the first page read settles a token', () => {
  it('covers up to and including the last key read, and everything when nothing follows', () => {
    expect(pageCovers({ items: [], next: pat(7) }, pat(7))).toBe(true)
    expect(pageCovers({ items: [], next: pat(7) }, pat(6))).toBe(true)
    expect(pageCovers({ items: [], next: pat(7) }, pat(8))).toBe(false)
    expect(pageCovers({ items: [] }, pat(999))).toBe(true)
  })
})
