import { expect } from 'vitest'

/**
 * A 429's two retry headers, checked against each other and the clock: Retry-After
 * (seconds, at least 1) and X-RateLimit-Retry-At (unix seconds, what
 * okta/terraform-provider-oktapam reads) name the same moment, to the second, as seen
 * from a request sent at `sentAt` and answered by `answeredAt` (epoch ms). The moment
 * is at least a second after the answer's clock: a client a little ahead still waits.
 */
export function expectRetryHeaders(headers: Headers, sentAt: number, answeredAt: number) {
  const retryAfter = Number(headers.get('retry-after'))
  const retryAt = Number(headers.get('x-ratelimit-retry-at'))
  expect(headers.get('x-ratelimit-retry-at')).toMatch(/^[0-9]+$/)
  expect(retryAfter).toBeGreaterThanOrEqual(1)
  expect(retryAt - retryAfter).toBeGreaterThanOrEqual(Math.floor(sentAt / 1000))
  expect(retryAt - retryAfter).toBeLessThanOrEqual(Math.ceil(answeredAt / 1000))
  expect(retryAt * 1000).toBeGreaterThanOrEqual(sentAt + 1000)
  return { retryAfter, retryAt }
}
