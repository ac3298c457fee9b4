import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp } from '../support/app.js'
import { expectRetryHeaders } from '../support/retry-headers.js'

/** Per-token rate limits on DynamoDB Local: headers, 429, verify, exactness under load. */
let app: Awaited<ReturnType<typeof startTestApp>>

beforeAll(async () => {
  app = await startTestApp('acme')
})
afterAll(() => app?.close())

const limitedToken = async (name: string, limit: number, windowSeconds = 3600) =>
  (
    await app.api('POST', '/api/tokens', {
      token: app.admin.token,
      body: { name, rateLimit: { limit, windowSeconds } },
    })
  ).body.accessKey as string

describe('per-token rate limits', () => {
  it('lets exactly 50 of 200 simultaneous requests through, with no 5xx, writing lastUsed once', async () => {
    const token = await limitedToken('burst', 50)
    const updates = { count: 0 }
    app.dynamo.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UpdateItemCommand') updates.count++
        return next(args)
      },
      { step: 'initialize', name: 'countUpdates' },
    )
    const replies = await Promise.all(
      Array.from({ length: 200 }, () => app.api('GET', '/api/tokens', { token })),
    ).finally(() => app.dynamo.middlewareStack.remove('countUpdates'))
    // Every request read a never-used token, so each found lastUsed due; the count's
    // write let one of them claim it: 200 counts and one lastUsed write, not 200 more.
    expect(updates.count).toBe(201)
    const statuses = replies.map((reply) => reply.status)
    expect(statuses.filter((status) => status === 200)).toHaveLength(50)
    expect(statuses.filter((status) => status === 429)).toHaveLength(150)
    const remaining = replies
      .filter((reply) => reply.status === 200)
      .map((reply) => Number(reply.headers.get('x-ratelimit-remaining')))
      .sort((a, b) => a - b)
    expect(remaining).toEqual(Array.from({ length: 50 }, (_, i) => i)) // each count once
  })

  it('answers 429 with Retry-After and X-RateLimit-* once the window is used up', async () => {
    const token = await limitedToken('small', 2, 600)
    const first = await app.api('GET', '/api/tokens', { token })
    expect(first.headers.get('x-ratelimit-limit')).toBe('2')
    expect(first.headers.get('x-ratelimit-remaining')).toBe('1')
    const reset = Number(first.headers.get('x-ratelimit-reset'))
    expect(reset % 600).toBe(0)
    expect(reset).toBeGreaterThan(Date.now() / 1000)
    await app.api('GET', '/api/tokens', { token })
    const sentAt = Date.now()
    const over = await app.api('GET', '/api/tokens', { token })
    const answeredAt = Date.now()
    expect(over.status).toBe(429)
    expect(over.body.code).toBe('too_many_requests')
    expect(over.headers.get('x-ratelimit-remaining')).toBe('0')
    expect(Number(over.headers.get('x-ratelimit-reset'))).toBe(reset)
    // Retry-After and X-RateLimit-Retry-At: the window's end, as the same moment.
    const { retryAt } = expectRetryHeaders(over.headers, sentAt, answeredAt)
    if (reset * 1000 - answeredAt >= 1000) expect(retryAt).toBe(reset)
    else expect(retryAt).toBeGreaterThan(reset) // the last second: a second from now
  })

  it('names the end of a short window, and the request sent then succeeds', async () => {
    const token = await limitedToken('short', 1, 2)
    // One a window: the second of two requests is refused, unless a window turned
    // between them, when the next one is.
    let sentAt = 0
    let answeredAt = 0
    let over: Awaited<ReturnType<typeof app.api>> | undefined
    for (let tries = 0; tries < 4 && over?.status !== 429; tries++) {
      sentAt = Date.now()
      over = await app.api('GET', '/api/tokens', { token })
      answeredAt = Date.now()
    }
    expect(over?.status).toBe(429)
    const headers = over?.headers ?? new Headers()
    const { retryAt } = expectRetryHeaders(headers, sentAt, answeredAt)
    const reset = Number(headers.get('x-ratelimit-reset'))
    expect(retryAt - reset).toBeGreaterThanOrEqual(0)
    expect(retryAt - reset).toBeLessThanOrEqual(1)
    await new Promise((resolve) => setTimeout(resolve, retryAt * 1000 - Date.now()))
    expect((await app.api('GET', '/api/tokens', { token })).status).toBe(200)
  })

  it('counts verify calls against the verified token and answers RATE_LIMITED', async () => {
    const token = await limitedToken('verified', 1, 600)
    const verify = () =>
      app.api('POST', '/v1/teams/acme/tokens/verify', { token: app.admin.token, body: { token } })
    const first = await verify()
    expect(first.body).toMatchObject({ valid: true, ratelimit: { limit: 1, remaining: 0 } })
    const second = await verify()
    expect(second.status).toBe(200)
    expect(second.body).toMatchObject({ valid: false, code: 'RATE_LIMITED' })
  })

  it('sends no X-RateLimit-* for a token without a limit', async () => {
    const reply = await app.api('GET', '/api/tokens', { token: app.admin.token })
    expect(reply.headers.get('x-ratelimit-limit')).toBeNull()
  })
})
