import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { handler as list } from '../../../functions/tokens/list.js'
import { keys } from '../../../shared/data/keys.js'
import { awsError } from '../../support/aws-errors.js'
import { invoke } from '../../support/invoke.js'
import { rateCountWrite, storedToken } from '../../support/tokens.js'

const ddb = mockClient(DynamoDBDocumentClient)
const NOW = new Date('2026-11-22T10:00:30.000Z')
const window = Math.floor(NOW.getTime() / 1000 / 60)
const reset = String((window + 1) * 60)

beforeEach(() => {
  ddb.reset()
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(NOW)
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

const limited = () => {
  const stored = storedToken({
    lastUsed: NOW.toISOString(),
    rateLimit: { limit: 50, windowSeconds: 60 },
  })
  // The listing's one Query authenticates too (and holds the token).
  ddb.on(QueryCommand).resolves({ Items: [stored.item] })
  return stored
}
const listWith = (token: string) => invoke(list, { method: 'GET', url: '/api/tokens', token })

describe('per-token rate limits on Latchkey routes', () => {
  it('costs exactly one extra write and answers with X-RateLimit-*', async () => {
    const stored = limited()
    ddb.on(UpdateCommand).resolves({ Attributes: { used: 9 } }) // the count before this one
    const reply = await listWith(stored.token)
    expect(reply.statusCode).toBe(200)
    expect(reply.headers).toMatchObject({
      'x-ratelimit-limit': '50',
      'x-ratelimit-remaining': '40',
      'x-ratelimit-reset': reset,
    })
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1)
    expect(ddb.calls()).toHaveLength(2) // the Query (token and list) + the count
  })

  it('answers 429 with Retry-After until the window ends, before any work', async () => {
    const stored = limited()
    ddb.on(UpdateCommand).rejects(awsError('ConditionalCheckFailedException'))
    const reply = await listWith(stored.token)
    expect(reply.statusCode).toBe(429)
    expect(reply.json.code).toBe('too_many_requests')
    expect(reply.headers).toMatchObject({
      'retry-after': '30',
      'x-ratelimit-retry-at': reset, // the window's end: what oktapam waits for
      'x-ratelimit-limit': '50',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': reset,
    })
    expect(ddb.calls()).toHaveLength(2) // the Query that authenticates + the count, no more
  })

  it('answers 503 (not 429, not 500) when the count itself is throttled', async () => {
    const stored = limited()
    ddb.on(UpdateCommand).rejects(awsError('ThrottlingException'))
    const reply = await listWith(stored.token)
    expect(reply.statusCode).toBe(503)
    expect(ddb.calls()).toHaveLength(2)
  })

  it('costs a token without a limit nothing extra and sends no X-RateLimit-*', async () => {
    const stored = storedToken({ lastUsed: NOW.toISOString() })
    ddb.on(QueryCommand).resolves({ Items: [stored.item] })
    const reply = await listWith(stored.token)
    expect(reply.statusCode).toBe(200)
    expect(reply.headers?.['x-ratelimit-limit']).toBeUndefined()
    expect(ddb.calls()).toHaveLength(1)
  })
})

describe('rate-limit windows', () => {
  it('counts each fixed window in its own item, removed by TTL a minute after it ends', async () => {
    const stored = limited()
    ddb.on(UpdateCommand).resolves({ Attributes: { used: 1 } })
    await listWith(stored.token)
    // 29.999 s later: the same window; 30 s later: the next one, counted afresh.
    vi.setSystemTime(NOW.getTime() + 29_999)
    await listWith(stored.token)
    vi.setSystemTime(NOW.getTime() + 30_000)
    const next = await listWith(stored.token)
    expect(next.headers?.['x-ratelimit-reset']).toBe(String((window + 2) * 60))
    const counted = ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)
    expect(counted.map((input) => input.Key)).toEqual([
      keys.rateWindow('acme', 'alice', 7, window),
      keys.rateWindow('acme', 'alice', 7, window),
      keys.rateWindow('acme', 'alice', 7, window + 1),
    ])
    // The value each write sets on the attribute named `name`.
    const setTo = (input: (typeof counted)[number], name: string) => {
      const alias = Object.entries(input.ExpressionAttributeNames ?? {}).find(([, n]) => n === name)
      return input.ExpressionAttributeValues?.[`:${alias?.[0].slice(1)}`]
    }
    expect(counted.map((input) => setTo(input, 'ttl'))).toEqual([
      (window + 1) * 60 + 60,
      (window + 1) * 60 + 60,
      (window + 2) * 60 + 60,
    ])
    expect(counted[0]?.ExpressionAttributeValues).toMatchObject({ ':limit': 50, ':one': 1 })
  })

  it('aligns longer windows to the epoch: an hour ends on the hour', async () => {
    const stored = storedToken({
      lastUsed: NOW.toISOString(),
      rateLimit: { limit: 1000, windowSeconds: 3600 },
    })
    ddb.on(QueryCommand).resolves({ Items: [stored.item] })
    ddb.on(UpdateCommand).resolves({ Attributes: { used: 999 } })
    const reply = await listWith(stored.token)
    // The last request the window allows goes through, with none remaining.
    expect(reply.statusCode).toBe(200)
    expect(reply.headers).toMatchObject({
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String(Date.parse('2026-11-22T11:00:00.000Z') / 1000),
    })
  })

  it('never shows a negative remainder (a limit lowered mid-window)', async () => {
    const stored = limited()
    ddb.on(UpdateCommand).resolves({ Attributes: { used: 70 } })
    const reply = await listWith(stored.token)
    expect(reply.headers?.['x-ratelimit-remaining']).toBe('0')
  })

  it("counts a window's first request (no count before it) as its first", async () => {
    const stored = limited()
    ddb.on(UpdateCommand).resolves({})
    const reply = await listWith(stored.token)
    expect(reply.statusCode).toBe(200)
    expect(reply.headers?.['x-ratelimit-remaining']).toBe('49')
  })
})

describe("a limited token's lastUsed, claimed by its count", () => {
  const interval = Math.floor(NOW.getTime() / 60_000)
  const hourAgo = new Date(NOW.getTime() - 3_600_000).toISOString()
  const stale = () => {
    const stored = storedToken({ lastUsed: hourAgo, rateLimit: { limit: 50, windowSeconds: 60 } })
    ddb.on(QueryCommand).resolves({ Items: [stored.item] })
    return stored
  }
  const sent = () => ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)
  const countWrite = (claim?: number) =>
    rateCountWrite({ window, windowSeconds: 60, limit: 50, claim })
  const lastUsedWrite = {
    TableName: 'latchkey-unit',
    Key: keys.accessToken('acme', 'alice', 7),
    UpdateExpression: 'SET lastUsed = :now',
    ConditionExpression:
      'attribute_exists(PK) AND (attribute_not_exists(lastUsed) OR lastUsed <= :cutoff)',
    ExpressionAttributeValues: {
      ':now': NOW.toISOString(),
      ':cutoff': new Date(NOW.getTime() - 60_000).toISOString(),
    },
  }

  it('claims this minute in the count and, first to claim it, writes lastUsed once', async () => {
    const stored = stale()
    ddb.on(UpdateCommand).resolves({ Attributes: { used: 4 } }) // no claim before
    const reply = await listWith(stored.token)
    expect(reply.statusCode).toBe(200)
    expect(reply.headers?.['x-ratelimit-remaining']).toBe('45')
    expect(sent()).toEqual([countWrite(interval), lastUsedWrite])
  })

  it('writes no lastUsed when another request of the burst claimed this minute first', async () => {
    const stored = stale()
    ddb.on(UpdateCommand).resolves({ Attributes: { used: 4, lastUsedClaim: interval } })
    const reply = await listWith(stored.token)
    expect(reply.statusCode).toBe(200)
    expect(sent()).toEqual([countWrite(interval)]) // one write for the request, no more
  })

  it("claims the minute in a window's first request (no count, no claim before it)", async () => {
    const stored = stale()
    ddb.on(UpdateCommand).resolves({}) // UPDATED_OLD of a new item: no Attributes at all
    const reply = await listWith(stored.token)
    expect(reply.statusCode).toBe(200)
    expect(reply.headers?.['x-ratelimit-remaining']).toBe('49')
    expect(sent()).toEqual([countWrite(interval), lastUsedWrite])
  })

  it('writes lastUsed again once a later minute is claimed', async () => {
    const stored = stale()
    ddb.on(UpdateCommand).resolves({ Attributes: { used: 4, lastUsedClaim: interval - 1 } })
    await listWith(stored.token)
    expect(sent()).toEqual([countWrite(interval), lastUsedWrite])
  })

  it('writes no lastUsed while it is recent, though the window holds an earlier claim', async () => {
    const recent = limited() // lastUsed: now, so this request claims nothing
    ddb.on(UpdateCommand).resolves({ Attributes: { used: 4, lastUsedClaim: interval - 1 } })
    const reply = await listWith(recent.token)
    expect(reply.statusCode).toBe(200)
    expect(sent()).toEqual([countWrite()])
  })

  it('claims nothing while lastUsed is recent, and a refused request writes no lastUsed', async () => {
    const recent = limited() // lastUsed: now
    ddb.on(UpdateCommand).resolves({ Attributes: { used: 4 } })
    await listWith(recent.token)
    expect(sent()).toEqual([countWrite()])
    ddb.reset()
    const over = stale()
    ddb.on(UpdateCommand).rejects(awsError('ConditionalCheckFailedException'))
    const reply = await listWith(over.token)
    expect(reply.statusCode).toBe(429)
    expect(sent()).toEqual([countWrite(interval)])
  })

  it('answers 503 with no lastUsed write left in flight when the count fails', async () => {
    const stored = stale()
    ddb.on(UpdateCommand).rejects(awsError('ThrottlingException'))
    const reply = await listWith(stored.token)
    expect(reply.statusCode).toBe(503)
    expect(sent()).toEqual([countWrite(interval)])
  })
})
