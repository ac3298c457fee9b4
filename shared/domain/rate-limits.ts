import type { RateVerdict } from '../data/rate-limits.js'
import { tooManyRequests } from '../errors.js'

/**
 * 429 until the window ends: X-RateLimit-Retry-At is then the window's X-RateLimit-Reset
 * (those headers are the HTTP layer's to add), a second later at most near its end.
 */
export const rateLimited = (verdict: RateVerdict, now: Date) =>
  tooManyRequests(
    `This token's rate limit (${verdict.limit} requests a window) is used up; retry after the window ends.`,
    verdict.reset * 1000,
    now.getTime(),
  )
