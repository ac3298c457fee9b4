import { describe, expect, it } from 'vitest'
import {
  DomainError,
  type ErrorCode,
  methodNotAllowed,
  retryWindow,
  serviceOffline,
  tooManyRequests,
  unauthenticated,
} from '../../shared/errors.js'
import { errorHeaders } from '../../shared/http/errors.js'
import { errorHeadersOf } from '../../shared/routes.js'

const at = (iso: string) => Date.parse(iso)

describe('retryWindow: when a 429 may be retried, as seconds and as unix seconds', () => {
  it("is a rate limit window's end, exactly, while it is a second or more away", () => {
    const now = at('2026-11-26T10:00:10.500Z')
    const reset = at('2026-11-26T10:01:00.000Z')
    expect(retryWindow(reset, now)).toEqual({ retryAfterSeconds: 50, retryAt: reset / 1000 })
    // A whole second before the end: no rounding at all.
    expect(retryWindow(reset, reset - 2000)).toEqual({
      retryAfterSeconds: 2,
      retryAt: reset / 1000,
    })
  })

  it('rounds a moment within a second up to the next whole second', () => {
    const now = at('2026-11-26T10:00:00.000Z')
    expect(retryWindow(now + 14 * 60_000 + 250, now)).toEqual({
      retryAfterSeconds: 14 * 60 + 1,
      retryAt: now / 1000 + 14 * 60 + 1,
    })
  })

  it('is never less than a second away, even when the refusal has just ended', () => {
    const now = at('2026-11-26T10:00:59.900Z')
    const reset = at('2026-11-26T10:01:00.000Z')
    // 100 ms left: resty (oktapam) waits 24 h on a moment a skewed client finds past.
    expect(retryWindow(reset, now)).toEqual({ retryAfterSeconds: 1, retryAt: reset / 1000 + 1 })
    expect(retryWindow(now - 5000, now)).toEqual({
      retryAfterSeconds: 1,
      retryAt: Math.ceil((now + 1000) / 1000),
    })
  })

  it('keeps both forms naming the same moment: retryAt - retryAfter is now, to the second', () => {
    for (let n = 0; n < 200; n++) {
      const now = at('2026-11-26T10:00:00.000Z') + n * 37
      const until = now + ((n * 7919) % 120_000)
      const { retryAfterSeconds, retryAt } = retryWindow(until, now)
      expect(retryAfterSeconds).toBeGreaterThanOrEqual(1)
      expect(retryAt * 1000).toBeGreaterThanOrEqual(until)
      expect(retryAt * 1000).toBeGreaterThanOrEqual(now + 1000)
      expect(retryAt - retryAfterSeconds).toBeGreaterThanOrEqual(Math.floor(now / 1000))
      expect(retryAt - retryAfterSeconds).toBeLessThanOrEqual(Math.ceil(now / 1000))
    }
  })
})

describe('errorHeaders: the headers each code declares (routes.ts errorHeadersOf)', () => {
  const now = at('2026-11-26T10:00:10.500Z')
  const examples: [ErrorCode, DomainError][] = [
    ['too_many_requests', tooManyRequests('slow down', at('2026-11-26T10:01:00.000Z'), now)],
    ['service_offline', serviceOffline(2)],
    ['authentication_error', unauthenticated()],
    ['server_authorization_revoked', new DomainError('server_authorization_revoked', 'gone')],
    ['method_not_allowed', methodNotAllowed('PATCH', ['GET', 'PUT'])],
    ['invalid_request', new DomainError('invalid_request', 'bad')],
    ['resource_does_not_exist', new DomainError('resource_does_not_exist', 'none')],
  ]

  it.each(examples)('%s: exactly its declared headers', (code, error) => {
    expect(Object.keys(errorHeaders(error)).sort()).toEqual(
      [...(errorHeadersOf[code] ?? [])].sort(),
    )
  })

  it('a 429 carries Retry-After and X-RateLimit-Retry-At for the same moment', () => {
    const error = tooManyRequests('slow down', at('2026-11-26T10:01:00.000Z'), now)
    expect(errorHeaders(error)).toEqual({
      'retry-after': '50',
      'x-ratelimit-retry-at': String(at('2026-11-26T10:01:00.000Z') / 1000),
    })
  })

  it('a 503 says only Retry-After (oktapam retries no 5xx; the time is a guess)', () => {
    expect(errorHeaders(serviceOffline(2))).toEqual({ 'retry-after': '2' })
  })
})
