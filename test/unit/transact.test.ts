import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type TransactItem, transact } from '../../shared/data/transact.js'
import { awsError, cancelled } from '../support/aws-errors.js'

/**
 * shared/data/transact.ts on its own: a refused condition is an answer (each item's
 * reason), any other failure is thrown, and only a conflict with another transaction
 * is retried, 12 attempts in all, after a jittered wait that doubles up to 320 ms.
 */

const ddb = mockClient(DynamoDBDocumentClient)
const items: TransactItem[] = [
  { Put: { TableName: 'latchkey-unit', Item: { PK: 'A', SK: 'A' } } },
  {
    ConditionCheck: {
      TableName: 'latchkey-unit',
      Key: { PK: 'B', SK: 'B' },
      ConditionExpression: 'attribute_exists(PK)',
    },
  },
]

/** The waits between attempts, with the jitter pinned at its top (Math.random near 1). */
let waits: number[]
beforeEach(() => {
  ddb.reset()
  vi.useFakeTimers()
  vi.spyOn(Math, 'random').mockReturnValue(0.999)
  waits = []
  const fake = globalThis.setTimeout
  vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
    waits.push(Math.round(ms ?? 0))
    return fake(fn, ms)
  }) as typeof setTimeout)
})
afterEach(() => {
  vi.restoreAllMocks()
  vi.useRealTimers()
})

/** Runs transact to its end, letting every backoff timer fire. */
const settle = async <T>(promise: Promise<T>) => {
  const outcome = promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  )
  await vi.runAllTimersAsync()
  return outcome
}

describe('transact', () => {
  it('writes the items in one TransactWriteItems and answers undefined', async () => {
    ddb.on(TransactWriteCommand).resolves({})
    expect(await settle(transact(items))).toEqual({ value: undefined })
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1)
    expect(ddb).toHaveReceivedCommandWith(TransactWriteCommand, { TransactItems: items })
    expect(waits).toEqual([])
  })

  it('answers each item reason when a condition refused, without retrying', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('None', 'ConditionalCheckFailed'))
    expect(await settle(transact(items))).toEqual({ value: ['None', 'ConditionalCheckFailed'] })
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1)
  })

  it('answers the refusal even when another item also conflicted', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('TransactionConflict', 'ConditionalCheckFailed'))
    expect(await settle(transact(items))).toEqual({
      value: ['TransactionConflict', 'ConditionalCheckFailed'],
    })
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1)
  })

  it.each([
    ['a throttle', awsError('ThrottlingException')],
    ['a cancellation for capacity', cancelled('None', 'ThrottlingError')],
    ['a validation error', awsError('ValidationException')],
  ])('throws %s at once: only conflicts are retried here', async (_, error) => {
    ddb.on(TransactWriteCommand).rejects(error)
    expect(await settle(transact(items))).toEqual({ error })
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1)
  })

  it('retries a conflict with another transaction, then answers as the retry does', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled('TransactionConflict', 'None'))
      .rejectsOnce(cancelled('None', 'TransactionConflict'))
      .rejectsOnce(cancelled('None', 'ConditionalCheckFailed'))
    expect(await settle(transact(items))).toEqual({ value: ['None', 'ConditionalCheckFailed'] })
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 3)
    expect(ddb.commandCalls(TransactWriteCommand).map((call) => call.args[0].input)).toEqual([
      { TransactItems: items },
      { TransactItems: items },
      { TransactItems: items },
    ])
  })

  it('gives up after 12 attempts, throwing the last conflict, having waited up to 10 ms x 2^min(attempt, 5)', async () => {
    const conflict = cancelled('TransactionConflict', 'None')
    ddb.on(TransactWriteCommand).rejects(conflict)
    expect(await settle(transact(items))).toEqual({ error: conflict })
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 12)
    // Eleven waits between twelve attempts, growing 20, 40 ... to 320 ms, then held there.
    expect(waits).toEqual([20, 40, 80, 160, 320, 320, 320, 320, 320, 320, 320])
  })

  it('draws each wait at random below its bound', async () => {
    vi.mocked(Math.random).mockReturnValue(0.25)
    ddb.on(TransactWriteCommand).rejectsOnce(cancelled('TransactionConflict')).resolves({})
    expect(await settle(transact(items))).toEqual({ value: undefined })
    expect(waits).toEqual([5])
  })
})
