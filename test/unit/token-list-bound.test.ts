import { describe, expect, it } from 'vitest'
import type { AccessTokenRecord } from '../../shared/data/access-tokens.js'
import {
  accessTokenView,
  LIGHT_TOKEN_COUNT,
  LIST_BUDGET_BYTES,
  listedBytes,
  MAX_LISTED_TOKEN_BYTES,
} from '../../shared/domain/access-tokens.js'
import { MAX_SCOPES } from '../../shared/names.js'
import { CreateAccessTokenBody } from '../../shared/schemas/validators.gen.js'

/**
 * GET /api/tokens answers all of a user's tokens at once (API.md), and Lambda refuses a
 * response over 6 MB (API Gateway then answers 500). What bounds it, measured on the
 * largest tokens the API accepts.
 */
const LAMBDA_RESPONSE_LIMIT = 6_291_556
const TIME = '2026-11-26T06:00:00.000Z'

const record = (id: number, body: Record<string, unknown>): AccessTokenRecord => ({
  team: 'acme',
  username: 'alice',
  id,
  name: String(body.name),
  secretHash: 'h'.repeat(43),
  previousHash: null,
  previousValidUntil: null,
  rotatedAt: null,
  leakedAt: null,
  leakUrl: null,
  leakSource: null,
  dateCreated: TIME,
  lastUsed: TIME,
  expiresAt: TIME,
  scopes: (body.scopes as string[] | undefined) ?? null,
  meta: (body.meta as Record<string, unknown> | undefined) ?? null,
  rateLimit: { limit: 1_000_000, windowSeconds: 86_400 },
  expiryWarned: null,
  expiryWarnedAt: null,
  removalBy: null,
  removalReason: null,
  removalAt: null,
})

const scopes = Array.from({ length: MAX_SCOPES }, (_, i) => `s${i}`.padEnd(100, 'x'))
/** The largest create bodies: meta's 1024 JSON characters as 3-byte ones, or as escapes. */
const largest = {
  multibyte: { name: '😀'.repeat(50), scopes, meta: { k: '€'.repeat(1016) } },
  escapes: { name: '"'.repeat(50), scopes, meta: { k: '"\\'.repeat(254) } },
}

/** What Lambda returns for a list: the body JSON-encoded once more, in its envelope. */
const lambdaResponse = (tokens: AccessTokenRecord[]) =>
  Buffer.byteLength(
    JSON.stringify({
      statusCode: 200,
      headers: { 'content-type': 'application/json', 'x-request-id': crypto.randomUUID() },
      body: JSON.stringify({ tokens: tokens.map(accessTokenView) }),
    }),
  )

describe('the bytes of GET /api/tokens', () => {
  it.each(Object.entries(largest))(
    'a largest token the API accepts (%s meta) takes at most MAX_LISTED_TOKEN_BYTES, and nearly that',
    (_, body) => {
      expect(
        CreateAccessTokenBody.validate({ ...body, rateLimit: { limit: 1, windowSeconds: 1 } }),
      ).toBe(true)
      expect(JSON.stringify(body.meta)).toHaveLength(1024)
      const bytes = listedBytes(record(9_007_199_254_740_991, body))
      expect(bytes).toBeLessThanOrEqual(MAX_LISTED_TOKEN_BYTES)
      expect(bytes).toBeGreaterThan(MAX_LISTED_TOKEN_BYTES * 0.75)
    },
  )

  it('measures a token as Lambda returns it: the sum is the response, less its envelope', () => {
    const tokens = Array.from({ length: 100 }, (_, i) => record(i + 1, largest.multibyte))
    const sum = tokens.reduce((total, token) => total + listedBytes(token), 0)
    const envelope = lambdaResponse(tokens) - sum
    expect(envelope).toBeGreaterThan(0)
    expect(envelope).toBeLessThan(300)
  })

  it('the quota alone would not bound it: 1,000 of the largest tokens pass 6 MB', () => {
    const most = Array.from({ length: 1000 }, (_, i) => record(i + 1, largest.multibyte))
    expect(lambdaResponse(most)).toBeGreaterThan(LAMBDA_RESPONSE_LIMIT)
    const plain = Array.from({ length: 1000 }, (_, i) =>
      record(i + 1, { name: `token ${i}`, scopes: undefined, meta: undefined }),
    )
    expect(lambdaResponse(plain)).toBeLessThan(300_000)
  })

  it('the budget does, with room to spare: a full budget plus 100 of the largest tokens fit', () => {
    expect(LIGHT_TOKEN_COUNT).toBe(568)
    expect(LIGHT_TOKEN_COUNT * MAX_LISTED_TOKEN_BYTES).toBeLessThanOrEqual(LIST_BUDGET_BYTES)
    expect(LIST_BUDGET_BYTES + 100 * MAX_LISTED_TOKEN_BYTES + 1024).toBeLessThan(
      LAMBDA_RESPONSE_LIMIT,
    )
  })
})
