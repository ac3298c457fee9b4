import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge'
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import { marshall } from '@aws-sdk/util-dynamodb'
import type { Context, DynamoDBStreamEvent } from 'aws-lambda'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { keys } from '../../shared/data/keys.js'
import { SWEEP_STEP } from '../../shared/data/token-revocation.js'
import { STEP_RESERVE_MS, sweepOf, sweepRecords } from '../../shared/domain/sweeps.js'
import { type StreamRecord, toEvent } from '../../shared/events/events.js'
import { cancelled, conditionFailed } from '../support/aws-errors.js'

/**
 * The deletes behind a delete-all, against a small in-memory table that behaves like
 * DynamoDB for the calls the sweep makes, with the change stream replayed by hand:
 * each write that changes an item makes a record, and a failed step gets its record
 * again (as Lambda and the local poller do).
 */
const ddb = mockClient(DynamoDBDocumentClient)
type Item = Record<string, unknown>
const table = new Map<string, Item>()
const keyOf = (key: Item) => `${String(key.PK)}|${String(key.SK)}`
let stream: StreamRecord[] = []
let sequence = 0
let failBatchWrite: number | undefined // the batch-write call (1-based) that fails once

function record(eventName: 'INSERT' | 'MODIFY' | 'REMOVE', before?: Item, after?: Item) {
  stream.push({
    eventID: String(++sequence),
    eventName,
    dynamodb: {
      ApproximateCreationDateTime: 1_790_000_000,
      ...(after && { NewImage: marshall(after, { removeUndefinedValues: true }) }),
      ...(before && { OldImage: marshall(before, { removeUndefinedValues: true }) }),
    },
  } as StreamRecord)
}

function remove(key: Item) {
  const old = table.get(keyOf(key))
  if (!old) return // deleting nothing writes nothing, and makes no record
  table.delete(keyOf(key))
  record('REMOVE', old)
}

function put(item: Item) {
  const old = table.get(keyOf(item))
  table.set(keyOf(item), item)
  record(old ? 'MODIFY' : 'INSERT', old, item)
}

const USER_PK = 'TEAM#acme#USER#alice'
const token = (id: number, name = `t${id}`): Item => ({
  ...keys.accessToken('acme', 'alice', id),
  kind: 'AccessToken',
  team: 'acme',
  username: 'alice',
  id,
  name,
})
const guard = (name: string, tokenId: number): Item => ({
  ...keys.accessTokenName('acme', 'alice', name),
  kind: 'AccessTokenName',
  tokenId,
})

beforeEach(() => {
  ddb.reset()
  table.clear()
  stream = []
  failBatchWrite = undefined
  let batchWrites = 0
  ddb.on(QueryCommand).callsFake((input) => {
    const values = input.ExpressionAttributeValues
    const inRange = [...table.values()]
      .filter(
        (item) =>
          item.PK === values[':pk'] &&
          String(item.SK) >= values[':first'] &&
          String(item.SK) <= values[':last'],
      )
      .sort((a, b) => (String(a.SK) < String(b.SK) ? -1 : 1))
    const page = inRange.slice(0, input.Limit)
    const last = page.at(-1)
    return {
      Items: page,
      ...(page.length === input.Limit &&
        last && { LastEvaluatedKey: { PK: last.PK, SK: last.SK } }),
    }
  })
  ddb.on(DeleteCommand).callsFake((input) => {
    const found = table.get(keyOf(input.Key))
    if (!found || found.tokenId !== input.ExpressionAttributeValues[':id']) throw conditionFailed()
    remove(input.Key)
    return {}
  })
  // Conditional deletes of guards, all or none (the sweep's only transactions).
  ddb.on(TransactWriteCommand).callsFake((input: { TransactItems: { Delete: Item }[] }) => {
    const reasons = input.TransactItems.map(({ Delete }) => {
      const found = table.get(keyOf(Delete.Key as Item))
      const { ':id': id } = Delete.ExpressionAttributeValues as Record<string, unknown>
      return !found || found.tokenId === id ? 'None' : 'ConditionalCheckFailed'
    })
    if (reasons.includes('ConditionalCheckFailed')) throw cancelled(...reasons)
    for (const { Delete } of input.TransactItems) remove(Delete.Key as Item)
    return {}
  })
  ddb.on(BatchWriteCommand).callsFake((input: { RequestItems: Record<string, Item[]> }) => {
    batchWrites++
    if (batchWrites === failBatchWrite) throw new Error('the function timed out')
    for (const requests of Object.values(input.RequestItems))
      for (const request of requests) remove((request.DeleteRequest as { Key: Item }).Key)
    return { UnprocessedItems: {} }
  })
  ddb.on(UpdateCommand).callsFake((input) => {
    const found = table.get(keyOf(input.Key))
    if (!found || found.revokedThrough !== input.ExpressionAttributeValues[':mark'])
      throw conditionFailed()
    put({ ...found, sweepRound: Number(found.sweepRound ?? 0) + 1 })
    return {}
  })
})

/** The stream, as Lambda runs it: each batch in order; a failed batch is handed again. */
async function drain(): Promise<{ attempts: number; failures: number }> {
  let attempts = 0
  let failures = 0
  while (stream.length > 0) {
    const batch = stream.splice(0, 100)
    for (;;) {
      attempts++
      try {
        await sweepRecords(batch)
        break
      } catch {
        failures++
      }
    }
    published.push(...batch.map(toEvent).filter((event) => event !== undefined))
  }
  return { attempts, failures }
}
let published: NonNullable<ReturnType<typeof toEvent>>[] = []

function seed(revoked: number, live: number[]) {
  for (let id = 1; id <= revoked; id++) {
    table.set(keyOf(token(id)), token(id))
    table.set(keyOf(guard(`t${id}`, id)), guard(`t${id}`, id))
  }
  for (const id of live) {
    table.set(keyOf(token(id)), token(id))
    table.set(keyOf(guard(`t${id}`, id)), guard(`t${id}`, id))
  }
  published = []
}

/** A user's delete-all mark revoking ids up to `revokedThrough`. */
const markOf = (revokedThrough: number) => ({
  PK: USER_PK,
  SK: 'PAT#',
  kind: 'TokenRevocation',
  team: 'acme',
  username: 'alice',
  revokedThrough,
})

const deletedIds = () =>
  published.filter((event) => event.type === 'AccessTokenDeleted').map((e) => e.detail.token_id)

describe('the sweep behind a delete-all', () => {
  it('deletes every revoked token and its guard, a bounded step per record, one event each', async () => {
    const revoked = SWEEP_STEP * 2 + 37
    seed(revoked, [revoked + 1, revoked + 2])
    // A new token took the name of a revoked one before the sweep reached it.
    table.set(keyOf(guard('t5', revoked + 1)), guard('t5', revoked + 1))
    put({ PK: USER_PK, SK: 'PAT#', kind: 'TokenRevocation', team: 'acme', username: 'alice' })
    put({ ...table.get(`${USER_PK}|PAT#`), revokedThrough: revoked, sweepRound: 0 })
    const { attempts } = await drain()

    const left = [...table.values()].map((item) => String(item.SK)).sort()
    expect(left).toEqual([
      'PAT#',
      keys.accessToken('acme', 'alice', revoked + 1).SK,
      keys.accessToken('acme', 'alice', revoked + 2).SK,
      `PATNAME#t${revoked + 1}`, // the live tokens' own guards
      `PATNAME#t${revoked + 2}`,
      'PATNAME#t5', // taken over: not the revoked token's any more
    ])
    const ids = deletedIds()
    expect(ids).toHaveLength(revoked)
    expect(new Set(ids).size).toBe(revoked)
    // Three steps of at most SWEEP_STEP, each asked for by the previous one's touch.
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(2)
    expect(ddb.commandCalls(QueryCommand).length).toBe(3)
    expect(attempts).toBeGreaterThan(2)
  })

  it('resumes a step cut short half-way without a duplicate or a miss', async () => {
    const revoked = SWEEP_STEP + 500
    seed(revoked, [revoked + 1])
    failBatchWrite = 15 // mid-way through the first step's 40 batches of 25
    put({
      PK: USER_PK,
      SK: 'PAT#',
      kind: 'TokenRevocation',
      team: 'acme',
      username: 'alice',
      revokedThrough: revoked,
      sweepRound: 0,
    })
    const { failures } = await drain()
    expect(failures).toBe(1)
    const ids = deletedIds()
    expect(ids).toHaveLength(revoked) // each revoked token's event exactly once
    expect(new Set(ids)).toEqual(new Set(Array.from({ length: revoked }, (_, i) => i + 1)))
    const tokensLeft = [...table.values()].filter((item) => item.kind === 'AccessToken')
    const guardsLeft = [...table.values()].filter((item) => item.kind === 'AccessTokenName')
    expect(tokensLeft.map((item) => item.id)).toEqual([revoked + 1])
    expect(guardsLeft.map((item) => item.tokenId)).toEqual([revoked + 1])
  })

  it('passes its step on when the invocation is short of time; the touched mark runs it', async () => {
    const revoked = 30
    seed(revoked, [])
    put({ ...markOf(revoked), sweepRound: 0 })
    await sweepRecords(stream.splice(0), () => STEP_RESERVE_MS - 1)
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0) // no step begun
    expect(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: 'latchkey-unit',
        Key: { PK: USER_PK, SK: 'PAT#' },
        UpdateExpression: 'ADD sweepRound :one',
        ConditionExpression: 'revokedThrough = :mark',
        ExpressionAttributeValues: { ':one': 1, ':mark': revoked },
      },
    ])
    expect(stream).toHaveLength(1) // the touched mark: it asks for the same step
    await drain()
    expect(new Set(deletedIds())).toEqual(new Set(Array.from({ length: revoked }, (_, i) => i + 1)))
    expect(deletedIds()).toHaveLength(revoked)
  })

  it("takes the time left from the stream function's Lambda context", async () => {
    mockClient(EventBridgeClient).on(PutEventsCommand).resolves({ Entries: [] })
    vi.stubEnv('EVENT_BUS_NAME', 'latchkey-bus')
    const { handler } = await import('../../functions/events/stream.js')
    seed(3, [])
    put({ ...markOf(3), sweepRound: 0 })
    const context = { getRemainingTimeInMillis: () => STEP_RESERVE_MS - 1 } as Context
    const answer = await handler({ Records: stream.splice(0) } as DynamoDBStreamEvent, context)
    expect(answer).toEqual({ batchItemFailures: [] })
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0) // passed on, not begun
    expect(stream).toHaveLength(1)
    vi.unstubAllEnvs()
  })

  it('stops when the mark is gone (the user was deleted) or has moved on', async () => {
    seed(SWEEP_STEP + 1, [])
    const mark = {
      PK: USER_PK,
      SK: 'PAT#',
      kind: 'TokenRevocation',
      team: 'acme',
      username: 'alice',
      revokedThrough: SWEEP_STEP + 1,
      sweepRound: 0,
    }
    record('INSERT', undefined, mark) // the mark's record, but the mark itself is gone
    await drain()
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1) // asked, refused: no next step
    expect(stream).toEqual([])
  })
})

describe('which records ask for a step', () => {
  const mark = { kind: 'TokenRevocation', team: 'acme', username: 'alice' }
  const modify = (before: Item, after: Item): StreamRecord => ({
    eventName: 'MODIFY',
    dynamodb: { OldImage: marshall(before), NewImage: marshall(after) },
  })

  it('a new mark, a raised one, or a touched one', () => {
    const at = (revokedThrough: number, sweepRound = 0) => ({ ...mark, revokedThrough, sweepRound })
    const asked = { team: 'acme', username: 'alice', revokedThrough: 9 }
    expect(sweepOf({ eventName: 'INSERT', dynamodb: { NewImage: marshall(at(9)) } })).toEqual(asked)
    expect(sweepOf(modify(at(4), at(9)))).toEqual(asked)
    expect(sweepOf(modify(at(9, 1), at(9, 2)))).toEqual(asked)
  })

  it('not an unchanged mark, a removed one, nor any other item', () => {
    const at = { ...mark, revokedThrough: 9, sweepRound: 1 }
    expect(sweepOf(modify(at, { ...at, revokedAt: 'x' }))).toBeUndefined()
    expect(sweepOf({ eventName: 'REMOVE', dynamodb: { OldImage: marshall(at) } })).toBeUndefined()
    expect(
      sweepOf({ eventName: 'INSERT', dynamodb: { NewImage: marshall(token(3)) } }),
    ).toBeUndefined()
  })
})
