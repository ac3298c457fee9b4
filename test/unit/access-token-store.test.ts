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
  accessTokenView,
  deleteAllAccessTokens,
  listedBytes,
  markAccessTokenLeaked,
  OverQuota,
  pageCovers,
  putAccessToken,
  recountAccessTokens,
  removeCounted,
  rotateAccessToken,
  touchAccessToken,
} from '../../shared/data/access-tokens.js'
import { AccessToken } from '../../shared/data/entities.js'
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
          UpdateExpression: 'SET revokedThrough = :id, tokenCount = :zero, tokenBytes = :zero',
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

/** A token as stored (what the count item's bytes are measured from). */
const record = (id: number, name = 'ci', meta: Record<string, unknown> | null = null) => ({
  team: 'acme',
  username: 'alice',
  id,
  name,
  secretHash: 'h',
  previousHash: null,
  previousValidUntil: null,
  rotatedAt: null,
  leakedAt: null,
  leakUrl: null,
  leakSource: null,
  dateCreated: '2026-11-26T00:00:00.000Z',
  lastUsed: null,
  expiresAt: null,
  scopes: null,
  meta,
  rateLimit: null,
  expiryWarned: null,
  expiryWarnedAt: null,
  removalBy: null,
  removalReason: null,
  removalAt: null,
})
const BOUND = { budget: 5000, light: 3 }

describe('listedBytes: what a token adds to its owner listing', () => {
  it('is its view JSON-encoded twice, with a comma, lastUsed measured as a time', () => {
    const token = record(7, 'ci')
    const view = JSON.stringify({ ...accessTokenView(token), lastUsed: token.dateCreated })
    expect(listedBytes(token)).toBe(Buffer.byteLength(JSON.stringify(view)) - 1)
    // Used or not, the same: the total kept on the count item never goes stale by use.
    expect(listedBytes({ ...token, lastUsed: '2026-11-26T09:59:00.000Z' })).toBe(listedBytes(token))
    // Each 3-byte character of meta counts 3 (JSON keeps it, Lambda's encoding too).
    expect(
      listedBytes(record(7, 'ci', { k: '€€' })) - listedBytes(record(7, 'ci', { k: '' })),
    ).toBe(6)
  })
})

describe('the count and bytes kept beside the tokens', () => {
  const token = record(7)
  const bytes = listedBytes(token)
  const deletes = (): Parameters<typeof removeCounted>[1] => [
    {
      Delete: {
        TableName: TABLE,
        Key: { PK, SK: pat(7) },
        ConditionExpression: 'attribute_exists(PK)',
      },
    },
    { Delete: { TableName: TABLE, Key: { PK, SK: 'PATNAME#ci' } } },
  ]
  const uncount = {
    Update: {
      TableName: TABLE,
      Key: USER,
      UpdateExpression:
        'ADD tokenCount :by SET tokenBytes = if_not_exists(tokenBytes, :unmeasured) - :bytes',
      ConditionExpression: 'attribute_exists(PK)',
      ExpressionAttributeValues: { ':by': -1, ':bytes': bytes, ':unmeasured': 2 ** 50 },
    },
  }

  it('removeCounted: lowers the count by one and the bytes by the token, in the deletes transaction', async () => {
    ddb.on(TransactWriteCommand).resolves({})
    expect(await removeCounted(token, deletes())).toBeUndefined()
    expect(ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems).toEqual([
      ...deletes(),
      uncount,
    ])
  })

  it('removeCounted: a token already gone is the answer, with no second transaction', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejects(cancelled('ConditionalCheckFailed', 'None', 'ConditionalCheckFailed'))
    expect(await removeCounted(token, deletes())).toEqual([
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
    expect(await removeCounted(token, deletes())).toBeUndefined()
    const second = ddb.commandCalls(TransactWriteCommand)[1]?.args[0].input.TransactItems
    expect(second).toEqual(deletes())
  })

  it('putAccessToken: counts the token and its bytes, past the light count only within the budget', async () => {
    ddb.on(TransactWriteCommand).resolves({})
    await putAccessToken(token, 10, BOUND)
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems
    expect(items?.[2]).toEqual({
      Update: {
        TableName: TABLE,
        Key: USER,
        UpdateExpression:
          'ADD tokenCount :by SET tokenBytes = if_not_exists(tokenBytes, :unmeasured) + :bytes',
        ConditionExpression:
          'attribute_exists(PK) AND tokenCount < :quota AND (tokenCount < :light OR tokenBytes <= :room) AND (attribute_not_exists(revokedThrough) OR revokedThrough < :id)',
        ExpressionAttributeValues: {
          ':by': 1,
          ':quota': 10,
          ':light': 3,
          ':room': 5000 - bytes,
          ':id': 7,
          ':bytes': bytes,
          ':unmeasured': 2 ** 50,
        },
      },
    })
  })

  it('putAccessToken: the count item refusing (quota or bytes) is OverQuota, with what it read', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('None', 'None', 'ConditionalCheckFailed'))
    ddb.on(GetCommand).resolves({ Item: { tokenCount: 3, tokenBytes: 900 } })
    const refusal = await putAccessToken(token, 10, BOUND).catch((error: unknown) => error)
    expect(refusal).toBeInstanceOf(OverQuota)
    expect((refusal as OverQuota).stored).toEqual({ count: 3, bytes: 900 })
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input.ProjectionExpression).toBe(
      'tokenCount, tokenBytes, revokedThrough',
    )
  })

  it('putAccessToken: a token item already there under the id is an error, never a success', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None', 'None'))
    await expect(putAccessToken(token, 10, BOUND)).rejects.toThrow('token 7 was already written')
  })

  describe('recountAccessTokens (a create refused by the count item)', () => {
    const tokens = (n: number) => Array.from({ length: n }, (_, i) => record(i + 1, `t${i + 1}`))
    const sum = (n: number) => tokens(n).reduce((total, t) => total + listedBytes(t), 0)
    const holding = (present: number) => {
      ddb.on(QueryCommand).resolves({
        Items: tokens(present).map((t) => AccessToken.item(t)),
      })
      ddb.on(UpdateCommand).resolves({})
    }

    it('reads the whole live tokens, from the count and bytes the refusal read', async () => {
      holding(3)
      expect(await recountAccessTokens('acme', 'alice', { count: 3, bytes: sum(3) })).toEqual({
        count: 3,
        bytes: sum(3),
      })
      expect(ddb).not.toHaveReceivedCommand(GetCommand)
      const query = ddb.commandCalls(QueryCommand)[0]?.args[0].input
      expect(query?.ProjectionExpression).toBeUndefined() // sized from whole items
      expect(ddb).not.toHaveReceivedCommand(UpdateCommand) // right: nothing to fix
    })

    it('sets an over-count (TTL removed tokens) to what is there, conditional on what it read', async () => {
      holding(4)
      expect(await recountAccessTokens('acme', 'alice', { count: 5, bytes: sum(5) })).toEqual({
        count: 4,
        bytes: sum(4),
      })
      expect(updates()).toEqual([
        {
          TableName: TABLE,
          Key: USER,
          UpdateExpression: 'SET tokenCount = :count, tokenBytes = :bytes',
          ConditionExpression: 'tokenCount = :counted AND tokenBytes = :measured',
          ExpressionAttributeValues: {
            ':count': 4,
            ':bytes': sum(4),
            ':counted': 5,
            ':measured': sum(5),
          },
        },
      ])
    })

    it('measures the bytes of a user from before them (absent), on condition they still are', async () => {
      holding(2)
      expect(await recountAccessTokens('acme', 'alice', { count: 2 })).toEqual({
        count: 2,
        bytes: sum(2),
      })
      expect(updates()[0]).toMatchObject({
        ConditionExpression: 'tokenCount = :counted AND attribute_not_exists(tokenBytes)',
        ExpressionAttributeValues: { ':count': 2, ':bytes': sum(2), ':counted': 2 },
      })
    })

    it('replaces an unmeasured total (absent, then moved by creates and deletes)', async () => {
      holding(2)
      await recountAccessTokens('acme', 'alice', { count: 2, bytes: 2 ** 50 + 7 })
      expect(updates()[0]?.ExpressionAttributeValues).toEqual({
        ':count': 2,
        ':bytes': sum(2),
        ':counted': 2,
        ':measured': 2 ** 50 + 7,
      })
    })

    it('leaves out tokens a delete-all revoked (the mark among the items)', async () => {
      holding(0)
      ddb.on(QueryCommand).resolves({
        Items: [
          { PK, SK: 'PAT#', kind: 'TokenRevocation', revokedThrough: 2 },
          ...tokens(3).map((t) => AccessToken.item(t)),
        ],
      })
      expect(await recountAccessTokens('acme', 'alice', { count: 0, bytes: 0 })).toEqual({
        count: 1,
        bytes: listedBytes(record(3, 't3')),
      })
    })

    it('a user item gone (deleted meanwhile), or a create racing it: gives up quietly; a throttle is thrown', async () => {
      holding(0)
      ddb.on(UpdateCommand).rejects(conditionFailed())
      expect(await recountAccessTokens('acme', 'alice', {})).toEqual({ count: 0, bytes: 0 })
      expect(updates()[0]?.ConditionExpression).toBe(
        'attribute_exists(PK) AND attribute_not_exists(tokenCount) AND attribute_not_exists(tokenBytes)',
      )
      ddb.on(UpdateCommand).rejects(throttled())
      await expect(recountAccessTokens('acme', 'alice', {})).rejects.toThrow('ThrottlingException')
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
