import type { Range } from '../data/keys.js'
import { invalidRequest } from '../http/errors.js'
import { signJws, verifyJws } from '../keys/jws.js'

/** `count` and `offset` as validated by the PageQuery schema. */
export interface PageQuery {
  count?: string
  offset?: string
}

export const DEFAULT_PAGE_SIZE = 100

/**
 * Cursors are signed (the service-token key, `typ: cursor`) and name the range they
 * were issued for. The partition always comes from the request's path, never the
 * cursor, and a cursor for any other range is refused: it can't reach outside.
 */
const scopeOf = (range: Range) => `${range.PK}|${range.prefix}`

export const encodeCursor = (range: Range, after: string) =>
  signJws('cursor', { scope: scopeOf(range), after })

const badCursor = () =>
  invalidRequest('The offset is not a cursor this list gave out.', [
    { description: 'offset', message: 'is not a valid cursor for this list' },
  ])

export async function decodeCursor(range: Range, cursor: string): Promise<string> {
  let claims: Record<string, unknown>
  try {
    claims = await verifyJws('cursor', cursor, { requiredClaims: ['scope', 'after'] })
  } catch {
    throw badCursor()
  }
  const { scope, after } = claims
  if (scope !== scopeOf(range) || typeof after !== 'string' || !after.startsWith(range.prefix))
    throw badCursor()
  return after
}

export interface PageRequest {
  count: number
  /** The sort key to continue after, from a verified cursor. */
  after?: string
}

/** Turns validated query parameters into a page request, checking any cursor. */
export async function pageRequest(range: Range, query: PageQuery): Promise<PageRequest> {
  const count = query.count ? Number(query.count) : DEFAULT_PAGE_SIZE
  const after = query.offset === undefined ? undefined : await decodeCursor(range, query.offset)
  return { count, after }
}

export interface Page<T> {
  list: T[]
  /** Parameters of the next page's request, when more remain. */
  next?: { count: number; offset: string }
}

/** Wraps one page read into the contract's shape, signing a cursor when more remain. */
export async function toPage<T>(
  range: Range,
  request: PageRequest,
  list: T[],
  last: string | undefined,
): Promise<Page<T>> {
  if (last === undefined) return { list }
  return { list, next: { count: request.count, offset: await encodeCursor(range, last) } }
}
