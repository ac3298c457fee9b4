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
import { handler as create } from '../../../functions/tokens/create.js'
import { handler as remove } from '../../../functions/tokens/delete.js'
import { handler as removeAll } from '../../../functions/tokens/delete-all.js'
import { handler as list } from '../../../functions/tokens/list.js'
import { listedBytes } from '../../../shared/data/access-tokens.js'
import { AccessToken } from '../../../shared/data/entities.js'
import { keys } from '../../../shared/data/keys.js'
import { routes } from '../../../shared/routes.js'
import { awsError, cancelled } from '../../support/aws-errors.js'
import { invoke } from '../../support/invoke.js'
import { storedToken, tokenLookup } from '../../support/tokens.js'

const ddb = mockClient(DynamoDBDocumentClient)
const TABLE = 'latchkey-unit'
const NOW = new Date('2026-11-22T10:00:00.000Z')

/** A refused count's one read: the user item's count and mirror of the delete-all mark. */
const userMark = {
  TableName: TABLE,
  Key: { PK: 'TEAM#acme', SK: 'USER#alice' },
  ProjectionExpression: 'tokenCount, tokenBytes, revokedThrough',
  ConsistentRead: true,
}

const allCalls = () => ddb.calls().length
/** What a token's view adds to GET /api/tokens on Lambda: encoded twice, with a comma. */
const viewBytes = (view: { dateCreated: string }) =>
  Buffer.byteLength(JSON.stringify(JSON.stringify({ ...view, lastUsed: view.dateCreated }))) - 1
let logged: string[] = []

beforeEach(() => {
  ddb.reset()
  logged = []
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    logged.push(String(chunk))
    return true
  })
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(NOW)
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('authentication cost', () => {
  // A real token with the last checksum character changed (always changed: it is
  // replaced by a different character, whatever it was).
  const genuine = storedToken().token
  const badChecksum = `${genuine.slice(0, -1)}${genuine.endsWith('0') ? '1' : '0'}`
  it.each(['garbage', 'lk_abc_def', badChecksum])(
    'rejects %s with no DynamoDB call',
    async (token) => {
      const reply = await invoke(list, { method: 'GET', url: '/api/tokens', token })
      expect(reply.statusCode).toBe(401)
      expect(allCalls()).toBe(0)
    },
  )

  it("authenticates and lists in one strongly consistent Query of the caller's partition", async () => {
    const stored = storedToken({ lastUsed: new Date(NOW.getTime() - 10_000).toISOString() })
    const other = storedToken({ id: 9 })
    ddb.on(QueryCommand).resolves({ Items: [stored.item, other.item] })
    const reply = await invoke(list, { method: 'GET', url: '/api/tokens', token: stored.token })
    expect(reply.statusCode).toBe(200)
    expect(reply.json.tokens.map((token: { id: number }) => token.id)).toEqual([7, 9])
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TABLE,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': 'TEAM#acme#USER#alice', ':prefix': 'PAT#' },
      Limit: 50,
      ConsistentRead: true,
    })
    // lastUsed was 10 s ago: no write this time.
    expect(allCalls()).toBe(1)
  })

  it('judges the token in that page as anywhere: a wrong secret or a revoked token is the 401', async () => {
    const stored = storedToken({ lastUsed: NOW.toISOString() })
    const forged = storedToken() // same key, another secret
    ddb.on(QueryCommand).resolves({ Items: [stored.item] })
    const wrong = await invoke(list, { method: 'GET', url: '/api/tokens', token: forged.token })
    expect(wrong.statusCode).toBe(401)
    const mark = {
      PK: 'TEAM#acme#USER#alice',
      SK: 'PAT#',
      kind: 'TokenRevocation',
      revokedThrough: 7,
    }
    ddb.on(QueryCommand).resolves({ Items: [mark, stored.item] })
    const revoked = await invoke(list, { method: 'GET', url: '/api/tokens', token: stored.token })
    expect(revoked.statusCode).toBe(401)
    expect(revoked.body).toBe(wrong.body)
  })

  it('reads a token beyond the first page on its own, then lists on from that page', async () => {
    const stored = storedToken({ id: 900, lastUsed: NOW.toISOString() })
    const early = storedToken({ id: 2 })
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [early.item], LastEvaluatedKey: early.key })
      .resolves({ Items: [stored.item] })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(stored.item))
    const reply = await invoke(list, { method: 'GET', url: '/api/tokens', token: stored.token })
    expect(reply.statusCode).toBe(200)
    expect(reply.json.tokens.map((token: { id: number }) => token.id)).toEqual([2, 900])
    expect(ddb).toHaveReceivedCommandTimes(BatchGetCommand, 1)
    expect(ddb.commandCalls(QueryCommand)[1]?.args[0].input.ExclusiveStartKey).toEqual(early.key)
  })

  it('lists on from past the revocation mark: revoked tokens not yet swept are not read', async () => {
    const stored = storedToken({ id: 901, lastUsed: NOW.toISOString() })
    const mark = { PK: stored.key.PK, SK: 'PAT#', kind: 'TokenRevocation', revokedThrough: 900 }
    const revoked = storedToken({ id: 2 })
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [mark, revoked.item], LastEvaluatedKey: revoked.key })
      .resolves({ Items: [stored.item] })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(mark, stored.item))
    const reply = await invoke(list, { method: 'GET', url: '/api/tokens', token: stored.token })
    expect(reply.statusCode).toBe(200)
    expect(reply.json.tokens.map((token: { id: number }) => token.id)).toEqual([901])
    expect(ddb.commandCalls(QueryCommand)[1]?.args[0].input.ExclusiveStartKey).toEqual(
      keys.accessToken('acme', 'alice', 900),
    )
  })

  it('verifies a token with one strongly consistent BatchGetItem of the token and its mark', async () => {
    const stored = storedToken({ lastUsed: NOW.toISOString() })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(stored.item))
    ddb.on(QueryCommand).resolves({ Items: [] })
    const reply = await invoke(removeAll, {
      method: 'DELETE',
      url: '/api/tokens/delete-all',
      token: stored.token,
    })
    expect(reply.statusCode).toBe(204)
    expect(ddb).toHaveReceivedCommandWith(BatchGetCommand, {
      RequestItems: {
        [TABLE]: {
          Keys: [{ PK: 'TEAM#acme#USER#alice', SK: 'PAT#' }, stored.key],
          ConsistentRead: true,
        },
      },
    })
    expect(ddb).toHaveReceivedCommandTimes(BatchGetCommand, 1)
  })

  it("refuses a token at or below its user's revocation mark, and takes one above it", async () => {
    const stored = storedToken({ lastUsed: NOW.toISOString() })
    const mark = (revokedThrough: number) => ({
      PK: 'TEAM#acme#USER#alice',
      SK: 'PAT#',
      kind: 'TokenRevocation',
      revokedThrough,
    })
    ddb.on(QueryCommand).resolves({ Items: [] })
    const call = () =>
      invoke(removeAll, { method: 'DELETE', url: '/api/tokens/delete-all', token: stored.token })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(mark(7), stored.item))
    expect((await call()).statusCode).toBe(401)
    ddb.on(BatchGetCommand).callsFake(tokenLookup(mark(6), stored.item))
    expect((await call()).statusCode).toBe(204)
  })

  it('records lastUsed once the minute has passed, conditionally', async () => {
    const stored = storedToken({ lastUsed: new Date(NOW.getTime() - 61_000).toISOString() })
    ddb.on(QueryCommand).resolves({ Items: [stored.item] })
    await invoke(list, { method: 'GET', url: '/api/tokens', token: stored.token })
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: TABLE,
      Key: stored.key,
      UpdateExpression: 'SET lastUsed = :now',
      ConditionExpression:
        'attribute_exists(PK) AND (attribute_not_exists(lastUsed) OR lastUsed <= :cutoff)',
      ExpressionAttributeValues: {
        ':now': NOW.toISOString(),
        ':cutoff': '2026-11-22T09:59:00.000Z',
      },
    })
  })

  it('sends one lastUsed write for a burst of one token, shared while it is in flight', async () => {
    const stored = storedToken({ lastUsed: new Date(NOW.getTime() - 61_000).toISOString() })
    ddb.on(QueryCommand).resolves({ Items: [stored.item] })
    let land = () => {}
    ddb.on(UpdateCommand).callsFakeOnce(() => new Promise((done) => (land = () => done({}))))
    ddb.on(UpdateCommand).resolves({})
    const get = () => invoke(list, { method: 'GET', url: '/api/tokens', token: stored.token })
    const burst = Array.from({ length: 20 }, get)
    await vi.waitFor(() => expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 20))
    land()
    const replies = await Promise.all(burst)
    expect(replies.map((reply) => reply.statusCode)).toEqual(replies.map(() => 200))
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1)
    // Landed: a request that still reads the old lastUsed writes it again (conditionally).
    await get()
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 2)
  })

  it('answers normally when the lastUsed write loses its race, logging nothing of it', async () => {
    const stored = storedToken()
    const levels = () => logged.map((line) => JSON.parse(line).level)
    ddb.on(UpdateCommand).rejects(awsError('ConditionalCheckFailedException'))
    ddb.on(QueryCommand).resolves({ Items: [stored.item] })
    const reply = await invoke(list, { method: 'GET', url: '/api/tokens', token: stored.token })
    expect(reply.statusCode).toBe(200)
    expect(levels()).not.toContain('warn')
    expect(levels()).not.toContain('error')
    // A write that failed (not lost) is a warning, the answer still 200.
    ddb.on(UpdateCommand).rejects(awsError('InternalServerError'))
    const failed = await invoke(list, { method: 'GET', url: '/api/tokens', token: stored.token })
    expect(failed.statusCode).toBe(200)
    expect(levels()).toContain('warn')
  })

  it('rejects a token past its expiresAt, and a wrong secret, with the same 401', async () => {
    const expired = storedToken({ expiresAt: new Date(NOW.getTime() - 1).toISOString() })
    ddb.on(QueryCommand).resolves({ Items: [expired.item] })
    const late = await invoke(list, { method: 'GET', url: '/api/tokens', token: expired.token })
    const forged = storedToken() // same key, another secret
    const wrong = await invoke(list, { method: 'GET', url: '/api/tokens', token: forged.token })
    expect(late.statusCode).toBe(401)
    expect(wrong.statusCode).toBe(401)
    expect(late.body).toBe(wrong.body)
  })
})

describe('POST /api/tokens', () => {
  /** A caller whose token was used just now (no lastUsed write), getting token id `id`. */
  const creatingAs = (id: number) => {
    const caller = storedToken({ lastUsed: NOW.toISOString() })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(caller.item))
    ddb.on(GetCommand, { Key: { PK: 'TEAM#acme', SK: 'TOKENPOLICY' } }).resolves({})
    ddb.on(UpdateCommand).resolves({ Attributes: { tokenSeq: id } })
    return caller
  }
  const postAs = (caller: { token: string }) =>
    invoke(create, {
      method: 'POST',
      url: '/api/tokens',
      token: caller.token,
      body: { name: 'ci' },
    })

  it('allocates the id, then writes token and name guard in one transaction, storing only a hash', async () => {
    const caller = creatingAs(8)
    ddb.on(TransactWriteCommand).resolves({})
    const reply = await invoke(create, {
      method: 'POST',
      url: '/api/tokens',
      token: caller.token,
      body: { name: 'ci', expiresInDays: 2 },
    })
    expect(reply.statusCode).toBe(200)
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: TABLE,
      Key: { PK: 'TEAM#acme', SK: 'USER#alice' },
      UpdateExpression: 'ADD tokenSeq :one',
      ConditionExpression: 'attribute_exists(PK)',
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'UPDATED_NEW',
    })
    const transaction = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input
    const expiresAt = '2026-11-24T10:00:00.000Z'
    expect(transaction?.TransactItems).toEqual([
      {
        Put: {
          TableName: TABLE,
          Item: {
            PK: 'TEAM#acme#USER#alice',
            SK: 'PAT#0000000000000008',
            // In the team's index, due for its 1-day warning (its 7-day one had passed).
            GSI1PK: 'TEAM#acme#TOKENS',
            GSI1SK: '2026-11-23T10:00:00.000Z#alice#0000000000000008',
            kind: 'AccessToken',
            team: 'acme',
            username: 'alice',
            id: 8,
            name: 'ci',
            secretHash: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
            dateCreated: NOW.toISOString(),
            expiresAt,
            ttl: Date.parse(expiresAt) / 1000,
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
      {
        Put: {
          TableName: TABLE,
          Item: {
            PK: 'TEAM#acme#USER#alice',
            SK: 'PATNAME#ci',
            kind: 'AccessTokenName',
            team: 'acme',
            username: 'alice',
            name: 'ci',
            tokenId: 8,
            expiresAt,
            ttl: Date.parse(expiresAt) / 1000,
          },
          ConditionExpression: 'attribute_not_exists(PK) OR tokenId <= :revoked',
          ExpressionAttributeValues: { ':revoked': 0 },
        },
      },
      {
        // the user's count of tokens and their listed bytes: under the team's quota (the
        // default 1,000), and under 568 tokens (whose listing can't pass its byte budget,
        // whatever they hold) or within the budget with this one's bytes; and the id
        // above the user's delete-all mark (its mirror on the user item)
        Update: {
          TableName: TABLE,
          Key: { PK: 'TEAM#acme', SK: 'USER#alice' },
          UpdateExpression:
            'ADD tokenCount :by SET tokenBytes = if_not_exists(tokenBytes, :unmeasured) + :bytes',
          ConditionExpression:
            'attribute_exists(PK) AND tokenCount < :quota AND (tokenCount < :light OR tokenBytes <= :room) AND (attribute_not_exists(revokedThrough) OR revokedThrough < :id)',
          ExpressionAttributeValues: {
            ':by': 1,
            ':quota': 1000,
            ':light': 568,
            ':room': 5 * 1024 * 1024 - viewBytes(reply.json.token),
            ':id': 8,
            ':bytes': viewBytes(reply.json.token),
            ':unmeasured': 2 ** 50,
          },
        },
      },
    ])
    expect(ddb).toHaveReceivedCommandWith(GetCommand, {
      TableName: TABLE,
      Key: { PK: 'TEAM#acme', SK: 'TOKENPOLICY' },
      ConsistentRead: true,
    })
    expect(JSON.stringify(transaction)).not.toContain(
      reply.json.accessKey.split('_')[2].slice(0, 43),
    )
    expect(reply.json.token).toMatchObject({ id: 8, name: 'ci', expiresAt, token: null })
    expect(allCalls()).toBe(4) // verify + policy and id (together) + transaction
  })

  describe('past 568 tokens, the byte budget of the listing (5 MB)', () => {
    const countItem = (call: number) =>
      ddb.commandCalls(TransactWriteCommand)[call]?.args[0].input.TransactItems?.[2]?.Update
    const scopes = Array.from({ length: 50 }, (_, i) => `s${i}`.padEnd(100, 'x'))
    /** A held token of 50 long scopes and `pad` characters of meta (3 bytes each). */
    const held = (id: number, pad: number) =>
      storedToken({ id, meta: { pad: '€'.repeat(pad) }, scopes }).item
    /** The user holds these tokens, and their count item says `stored`. */
    const holding = (count: number, pad: number, stored: Record<string, number>) => {
      const items = Array.from({ length: count }, (_, i) => held(i + 1, pad))
      ddb
        .on(QueryCommand)
        .resolvesOnce({ Items: items.slice(0, 50), LastEvaluatedKey: { PK: 'x', SK: 'y' } })
        .resolves({ Items: items.slice(50) })
      ddb.on(GetCommand, userMark).resolves({ Item: stored })
      return items.reduce((sum, item) => sum + listedBytes(AccessToken.decode(item)), 0)
    }
    const over = () => cancelled('None', 'None', 'ConditionalCheckFailed')

    it('takes one transaction still: the bytes kept on the count item decide, no token read', async () => {
      const caller = creatingAs(600)
      ddb.on(TransactWriteCommand).resolves({})
      const reply = await postAs(caller)
      expect(reply.statusCode).toBe(200)
      expect(countItem(0)?.ConditionExpression).toContain(
        '(tokenCount < :light OR tokenBytes <= :room)',
      )
      expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 0)
      expect(allCalls()).toBe(4) // verify + policy and id (together) + transaction
    })

    it('measures a user from before the bytes once, when the count item refuses, then writes', async () => {
      const caller = creatingAs(600)
      const bytes = holding(580, 10, { tokenCount: 580, tokenBytes: 2 ** 50 + 512 }) // 3.2 MB
      ddb.on(TransactWriteCommand).rejectsOnce(over()).resolves({})
      const reply = await postAs(caller)
      expect(reply.statusCode).toBe(200)
      expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 2) // 1 per page of the user's tokens
      expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
        TableName: TABLE,
        Key: { PK: 'TEAM#acme', SK: 'USER#alice' },
        UpdateExpression: 'SET tokenCount = :count, tokenBytes = :bytes',
        ConditionExpression: 'tokenCount = :counted AND tokenBytes = :measured',
        ExpressionAttributeValues: {
          ':count': 580,
          ':bytes': bytes,
          ':counted': 580,
          ':measured': 2 ** 50 + 512,
        },
      })
      expect(countItem(1)).toEqual(countItem(0)) // the same write again, now measured
    })

    it('refuses with 403 quota_exceeded, writing nothing, when the listing would pass 5 MB', async () => {
      const caller = creatingAs(600)
      const items = Array.from({ length: 620 }, (_, i) => held(i + 1, 1000))
      const bytes = items.reduce((sum, item) => sum + listedBytes(AccessToken.decode(item)), 0)
      // 5.3 MB, measured right; the mark mirrored below the id
      holding(620, 1000, { tokenCount: 620, tokenBytes: bytes, revokedThrough: 7 })
      ddb.on(TransactWriteCommand).rejects(over())
      const reply = await postAs(caller)
      expect(reply.statusCode).toBe(403)
      expect(reply.json.code).toBe('quota_exceeded')
      expect(reply.json.message).toBe(
        "This user's tokens would take more than 5 MB to list (GET /api/tokens answers them all at once); delete some first.",
      )
      expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1)
      // Only the id taken: the count item was right, so the recount wrote nothing.
      expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1)
    })
  })

  it('answers 409 when the name guard exists', async () => {
    const caller = creatingAs(9)
    ddb.on(TransactWriteCommand).rejects(cancelled('None', 'ConditionalCheckFailed', 'None'))
    ddb.on(GetCommand).resolves({}) // no revocation mark: the guard is a live token's
    const reply = await postAs(caller)
    expect(reply.statusCode).toBe(409)
    expect(reply.json.code).toBe('resource_already_exists')
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1)
  })

  it('takes over the name of a revoked token whose guard is not swept yet', async () => {
    const caller = creatingAs(9)
    ddb.on(GetCommand).resolves({ Item: { revokedThrough: 5 } })
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled('None', 'ConditionalCheckFailed', 'None'))
      .resolves({})
    const reply = await postAs(caller)
    expect(reply.statusCode).toBe(200)
    expect(ddb).toHaveReceivedCommandWith(GetCommand, {
      TableName: TABLE,
      Key: { PK: 'TEAM#acme#USER#alice', SK: 'PAT#' },
      ConsistentRead: true,
    })
    const second = ddb.commandCalls(TransactWriteCommand)[1]?.args[0].input.TransactItems?.[1]?.Put
    expect(second?.ExpressionAttributeValues).toEqual({ ':revoked': 5 })
  })

  it('takes a new id when a delete-all revoked the one it took meanwhile', async () => {
    const caller = creatingAs(9)
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled('None', 'None', 'ConditionalCheckFailed'))
      .resolves({})
    // The count's condition refused: the user item's mirror of the mark says why.
    ddb.on(GetCommand, userMark).resolves({ Item: { revokedThrough: 9 } })
    const reply = await postAs(caller)
    expect(reply.statusCode).toBe(200)
    expect(ddb).toHaveReceivedCommandWith(GetCommand, userMark)
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 2) // two ids taken
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 2)
  })

  it('retries a transaction cancelled by a conflict', async () => {
    const caller = creatingAs(9)
    ddb.on(TransactWriteCommand).rejectsOnce(cancelled('TransactionConflict', 'None')).resolves({})
    const reply = await postAs(caller)
    expect(reply.statusCode).toBe(200)
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 2)
  })

  it('answers 503 with Retry-After when DynamoDB throttles, leaving nothing half-written', async () => {
    const caller = creatingAs(9)
    ddb.on(TransactWriteCommand).rejects(awsError('ProvisionedThroughputExceededException'))
    const reply = await postAs(caller)
    expect(reply.statusCode).toBe(503)
    expect(reply.headers?.['retry-after']).toBe('1')
    expect(reply.json).toEqual({
      code: 'service_offline',
      message: 'The service is busy or briefly unavailable; retry shortly.',
      errors: [],
      requestId: reply.requestId,
    })
    // The only write that landed is the id counter: an id skipped, no token, no guard.
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1)
    expect(ddb).toHaveReceivedCommandTimes(BatchWriteCommand, 0)
  })

  it('answers 503 when the credential check itself is throttled', async () => {
    ddb.on(QueryCommand).rejects(awsError('ThrottlingException'))
    const reply = await invoke(list, {
      method: 'GET',
      url: '/api/tokens',
      token: storedToken().token,
    })
    expect(reply.statusCode).toBe(503)
    expect(reply.headers?.['retry-after']).toBe('1')
  })

  // What an overloaded store answers once the transport gave up retrying it: each is
  // 503 + Retry-After, never a 500. (DynamoDB Local under 200 simultaneous listings of a
  // user's thousands of tokens answered the first two: attempts of 30 s ran out, and its
  // item locks timed out as 500s.)
  const overloads: [string, Error][] = [
    ['an attempt timed out', awsError('TimeoutError', { code: 'ETIMEDOUT' })],
    [
      "DynamoDB Local's lock timeout",
      awsError('InternalServerError', { $metadata: { httpStatusCode: 500 } }),
    ],
    ['a 5xx of any name', awsError('InternalFailure', { $metadata: { httpStatusCode: 500 } })],
    ['a 503 of an unknown name', awsError('Whatever', { $metadata: { httpStatusCode: 503 } })],
    ['a 429 of an unknown name', awsError('Whatever', { $metadata: { httpStatusCode: 429 } })],
    ['a throttle the transport retries', awsError('TooManyRequestsException')],
    ['a request timeout', awsError('RequestTimeoutException')],
    ['an unreachable host', Object.assign(new Error('connect'), { code: 'EHOSTUNREACH' })],
    ['a name lookup failed for now', Object.assign(new Error('dns'), { code: 'EAI_AGAIN' })],
  ]
  it.each(overloads)(
    'answers 503 + Retry-After when a listing page fails: %s',
    async (_, error) => {
      const stored = storedToken({ id: 900, lastUsed: NOW.toISOString() })
      const early = storedToken({ id: 2 })
      ddb
        .on(QueryCommand)
        .resolvesOnce({ Items: [early.item], LastEvaluatedKey: early.key })
        .rejects(error)
      ddb.on(BatchGetCommand).callsFake(tokenLookup(stored.item))
      const reply = await invoke(list, { method: 'GET', url: '/api/tokens', token: stored.token })
      expect([reply.statusCode, reply.headers?.['retry-after'], reply.json.code]).toEqual([
        503,
        '1',
        'service_offline',
      ])
      expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 2) // it failed on the second page
    },
  )

  it('answers a 4xx of DynamoDB it cannot explain as 500, not as an outage', async () => {
    ddb
      .on(QueryCommand)
      .rejects(awsError('ValidationException', { $metadata: { httpStatusCode: 400 } }))
    const reply = await invoke(list, {
      method: 'GET',
      url: '/api/tokens',
      token: storedToken().token,
    })
    expect(reply.statusCode).toBe(500)
  })

  it('answers an unexpected failure with 500 and the request id, logging the stack only', async () => {
    ddb.on(QueryCommand).rejects(new TypeError('boom in the data layer'))
    const reply = await invoke(list, {
      method: 'GET',
      url: '/api/tokens',
      token: storedToken().token,
    })
    expect(reply.statusCode).toBe(500)
    expect(reply.json).toEqual({
      code: 'unknown_error',
      message: 'Something went wrong on our side; the request id names it.',
      errors: [],
      requestId: reply.requestId,
    })
    expect(reply.body).not.toContain('boom')
    const entry = logged.map((line) => JSON.parse(line)).find((e) => e.level === 'error')
    expect(entry).toMatchObject({
      requestId: reply.requestId,
      errorMessage: 'boom in the data layer',
    })
    expect(entry.stack).toContain('TypeError')
  })
})

describe('DELETE /api/tokens/{tokenId}', () => {
  it('reads the token, then deletes it and its name guard in one transaction', async () => {
    const caller = storedToken({ lastUsed: NOW.toISOString() })
    const target = storedToken({ id: 3 })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(caller.item, target.item))
    ddb.on(TransactWriteCommand).resolves({})
    const reply = await invoke(remove, {
      method: 'DELETE',
      url: '/api/tokens/3',
      token: caller.token,
      params: { tokenId: '3' },
    })
    expect(reply.statusCode).toBe(204)
    expect(ddb).toHaveReceivedCommandWith(TransactWriteCommand, {
      TransactItems: [
        {
          Delete: {
            TableName: TABLE,
            Key: target.key,
            ConditionExpression: 'attribute_exists(PK)',
          },
        },
        {
          Delete: { TableName: TABLE, Key: { PK: 'TEAM#acme#USER#alice', SK: 'PATNAME#token 3' } },
        },
        {
          Update: {
            TableName: TABLE,
            Key: { PK: 'TEAM#acme', SK: 'USER#alice' },
            UpdateExpression:
              'ADD tokenCount :by SET tokenBytes = if_not_exists(tokenBytes, :unmeasured) - :bytes',
            ConditionExpression: 'attribute_exists(PK)',
            ExpressionAttributeValues: {
              ':by': -1,
              ':bytes': listedBytes(AccessToken.decode(target.item)),
              ':unmeasured': 2 ** 50,
            },
          },
        },
      ],
    })
  })

  it("looks only in the caller's own partition", async () => {
    const caller = storedToken({ lastUsed: NOW.toISOString() })
    ddb.on(GetCommand).resolves({})
    ddb.on(BatchGetCommand).callsFake(tokenLookup(caller.item))
    const reply = await invoke(remove, {
      method: 'DELETE',
      url: '/api/tokens/3',
      token: caller.token,
      params: { tokenId: '3' },
    })
    expect(reply.statusCode).toBe(404)
    const keysRead = ddb
      .commandCalls(BatchGetCommand)
      .flatMap((call) => call.args[0].input.RequestItems?.[TABLE]?.Keys?.map((key) => key.PK))
    expect(new Set(keysRead)).toEqual(new Set(['TEAM#acme#USER#alice']))
    expect(keysRead).toHaveLength(4) // the caller's token and mark; the target and the mark
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 0)
  })
})

describe('DELETE /api/tokens/delete-all', () => {
  const caller = storedToken({ lastUsed: NOW.toISOString() })
  const deleteAll = () =>
    invoke(removeAll, { method: 'DELETE', url: '/api/tokens/delete-all', token: caller.token })

  it('reads the highest token id, then writes the mark and the user item in one transaction: two calls after the lookup', async () => {
    ddb.on(BatchGetCommand).callsFake(tokenLookup(caller.item))
    ddb.on(QueryCommand).resolves({ Items: [{ kind: 'AccessToken', id: 70_000 }] })
    ddb.on(TransactWriteCommand).resolves({})
    const reply = await deleteAll()
    expect(reply.statusCode).toBe(204)
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TABLE,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': 'TEAM#acme#USER#alice', ':prefix': 'PAT#' },
      ScanIndexForward: false,
      Limit: 1,
      ProjectionExpression: 'kind, id',
      ConsistentRead: true,
    })
    expect(ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems).toEqual([
      {
        // The mark, as its declaration writes it: it only ever rises.
        Put: {
          TableName: TABLE,
          Item: {
            PK: 'TEAM#acme#USER#alice',
            SK: 'PAT#',
            kind: 'TokenRevocation',
            team: 'acme',
            username: 'alice',
            revokedThrough: 70_000,
            revokedAt: NOW.toISOString(),
            sweepRound: 0,
          },
          ConditionExpression: 'attribute_not_exists(revokedThrough) OR revokedThrough < :id',
          ExpressionAttributeValues: { ':id': 70_000 },
        },
      },
      {
        // The mark's mirror, which every create's count condition reads, and the user's
        // token count for the quota (issue 14): no live token is left.
        Update: {
          TableName: TABLE,
          Key: { PK: 'TEAM#acme', SK: 'USER#alice' },
          UpdateExpression: 'SET revokedThrough = :id, tokenCount = :zero, tokenBytes = :zero',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeValues: { ':id': 70_000, ':zero': 0 },
        },
      },
    ])
    expect(allCalls()).toBe(routes.deleteAllAccessTokens.calls['personal token, its only token'])
    expect(ddb).toHaveReceivedCommandTimes(BatchWriteCommand, 0) // the deletes come later
  })

  it('is done when a later delete-all already raised the mark (its condition fails)', async () => {
    ddb.on(BatchGetCommand).callsFake(tokenLookup(caller.item))
    ddb.on(QueryCommand).resolves({ Items: [{ kind: 'AccessToken', id: 7 }] })
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'))
    expect((await deleteAll()).statusCode).toBe(204)
    // Nothing of this one is written: the later delete-all's count and mirror stand.
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1)
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 0)
  })

  it('writes nothing when only the mark is left', async () => {
    ddb.on(BatchGetCommand).callsFake(tokenLookup(caller.item))
    ddb.on(QueryCommand).resolves({ Items: [{ kind: 'TokenRevocation' }] })
    expect((await deleteAll()).statusCode).toBe(204)
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 0)
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 0)
  })

  it('answers 503 when the mark cannot be written', async () => {
    ddb.on(BatchGetCommand).callsFake(tokenLookup(caller.item))
    ddb.on(QueryCommand).resolves({ Items: [{ kind: 'AccessToken', id: 7 }] })
    ddb.on(TransactWriteCommand).rejects(awsError('ProvisionedThroughputExceededException'))
    expect((await deleteAll()).statusCode).toBe(503)
  })
})

const IAM_ACTION: Record<string, string> = {
  GetCommand: 'GetItem',
  PutCommand: 'PutItem',
  UpdateCommand: 'UpdateItem',
  DeleteCommand: 'DeleteItem',
  QueryCommand: 'Query',
  BatchWriteCommand: 'BatchWriteItem',
  BatchGetCommand: 'BatchGetItem',
}

describe('least privilege', () => {
  /** The IAM actions the commands sent so far need (transactions by their parts). */
  function actionsSent(): Set<string> {
    const actions = new Set<string>()
    for (const call of ddb.calls()) {
      const command = call.args[0]
      if (command instanceof TransactWriteCommand) {
        for (const item of command.input.TransactItems ?? []) {
          if (item.Put) actions.add('PutItem')
          if (item.Delete) actions.add('DeleteItem')
          if (item.Update) actions.add('UpdateItem')
          if (item.ConditionCheck) actions.add('ConditionCheckItem')
        }
      } else {
        const name = command.constructor.name
        actions.add(IAM_ACTION[name] ?? name)
      }
    }
    return actions
  }

  it.each([
    ['listAccessTokens', list, { method: 'GET', url: '/api/tokens' }],
    ['createAccessToken', create, { method: 'POST', url: '/api/tokens', body: { name: 'n' } }],
    [
      'deleteAccessToken',
      remove,
      { method: 'DELETE', url: '/api/tokens/7', params: { tokenId: '7' } },
    ],
    ['deleteAllAccessTokens', removeAll, { method: 'DELETE', url: '/api/tokens/delete-all' }],
  ] as const)(
    '%s uses only the table actions its route is granted',
    async (id, handler, request) => {
      const { routes, tableActionsOf } = await import('../../../shared/routes.js')
      const stale = storedToken() // never used: its lastUsed write is due
      ddb.on(BatchGetCommand).callsFake(tokenLookup(stale.item))
      ddb.on(GetCommand).resolves({}) // the team's token policy: the defaults
      ddb.on(UpdateCommand).resolves({ Attributes: { tokenSeq: 8 } })
      ddb.on(QueryCommand).resolves({ Items: [stale.item] })
      ddb.on(TransactWriteCommand).resolves({})
      ddb.on(BatchWriteCommand).resolves({})
      const reply = await invoke(handler, { ...request, token: stale.token })
      expect(reply.statusCode).toBeLessThan(300)
      const route = routes[id]
      const granted = new Set<string>(tableActionsOf(route))
      expect([...actionsSent()].filter((action) => !granted.has(action))).toEqual([])
    },
  )
})
