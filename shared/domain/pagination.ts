import type { Range } from '../data/keys.js'
import { invalidRequest } from '../errors.js'

/** `count` and `offset` as validated by the PageQuery schema. */
export interface PageQuery {
  count?: string
  offset?: string
}

export const DEFAULT_PAGE_SIZE = 100

/**
 * A cursor is base64url JSON naming the list it came from and the sort key to
 * continue after. Opaque to clients, but neither secret nor signed, because it has
 * nothing to protect: the partition always comes from the request's path (after
 * authorisation), never from the cursor, and the sort key must lie inside the list's
 * own range. The most a hand-made cursor can do is start the caller's own list at
 * another point of it. (Signing them cost a KMS Sign per page on AWS: latency, a
 * price per call, and a share of the account's ECC request quota.)
 */
const scopeOf = (range: Range) => `${range.PK}|${range.prefix}`

/** DynamoDB's limit on a sort key's size. */
const MAX_SORT_KEY_BYTES = 1024

const encodeCursor = (range: Range, after: string) =>
  Buffer.from(JSON.stringify({ v: 1, scope: scopeOf(range), after })).toString('base64url')

const badCursor = () =>
  invalidRequest('The offset is not a cursor this list gave out.', [
    { description: 'offset', message: 'is not a valid cursor for this list' },
  ])

function decodeCursor(range: Range, cursor: string): string {
  let decoded: unknown
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw badCursor()
  }
  const { v, scope, after } = (decoded ?? {}) as Record<string, unknown>
  const inRange =
    typeof after === 'string' &&
    after.startsWith(range.prefix) &&
    Buffer.byteLength(after) <= MAX_SORT_KEY_BYTES
  if (v !== 1 || scope !== scopeOf(range) || !inRange) throw badCursor()
  return after
}

export interface PageRequest {
  count: number
  /** The sort key to continue after, from a checked cursor. */
  after?: string
}

/** Turns validated query parameters into a page request, checking any cursor. */
export function pageRequest(range: Range, query: PageQuery): PageRequest {
  const count = query.count ? Number(query.count) : DEFAULT_PAGE_SIZE
  const after = query.offset === undefined ? undefined : decodeCursor(range, query.offset)
  return { count, after }
}

export interface Page<T> {
  list: T[]
  /** Parameters of the next page's request, when more remain. */
  next?: { count: number; offset: string }
}

/** Wraps one page read into the contract's shape, with a cursor when more remain. */
export function toPage<T>(
  range: Range,
  request: PageRequest,
  list: T[],
  last: string | undefined,
): Page<T> {
  if (last === undefined) return { list }
  return { list, next: { count: request.count, offset: encodeCursor(range, last) } }
}
