import type { RateVerdict } from '../data/rate-limits.js'
import { tooManyRequests } from '../errors.js'

/** 429 until the window ends (its X-RateLimit-* headers are the HTTP layer's to add). */
export const rateLimited = (verdict: RateVerdict, now: Date) =>
  tooManyRequests(
    `This token's rate limit (${verdict.limit} requests a window) is used up; retry after the window ends.`,
    Math.max(1, verdict.reset - Math.floor(now.getTime() / 1000)),
  )
