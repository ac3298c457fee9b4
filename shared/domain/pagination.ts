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

/** What a list shows besides its position: a name filter and an order. Bound into cursors. */
export interface ListView {
  contains?: string
  descending?: boolean
}

const encodeCursor = (range: Range, after: string, view: ListView = {}) =>
  Buffer.from(
    JSON.stringify({
      v: 1,
      scope: scopeOf(range),
      after,
      ...(view.contains && { contains: view.contains }),
      ...(view.descending && { descending: true }),
    }),
  ).toString('base64url')

const badCursor = (message = 'is not a valid cursor for this list') =>
  invalidRequest('The offset is not a cursor this list gave out.', [
    { description: 'offset', message },
  ])

function decodeCursor(range: Range, cursor: string): ListView & { after: string } {
  let decoded: unknown
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw badCursor()
  }
  const { v, scope, after, contains, descending } = (decoded ?? {}) as Record<string, unknown>
  const inRange =
    typeof after === 'string' &&
    after.startsWith(range.prefix) &&
    Buffer.byteLength(after) <= MAX_SORT_KEY_BYTES
  const viewOk =
    (contains === undefined || typeof contains === 'string') &&
    (descending === undefined || descending === true)
  if (v !== 1 || scope !== scopeOf(range) || !inRange || !viewOk) throw badCursor()
  return { after, contains, descending: descending === true }
}

export interface PageRequest extends ListView {
  count: number
  /** The sort key to continue after, from a checked cursor. */
  after?: string
}

/**
 * Turns validated query parameters into a page request, checking any cursor. A
 * cursor carries its list's view; a request that also names the view (as clients
 * that re-send their filters with `Link` do) must name the same one.
 */
export function pageRequest(range: Range, query: PageQuery, view: ListView = {}): PageRequest {
  const count = query.count ? Number(query.count) : DEFAULT_PAGE_SIZE
  if (query.offset === undefined) return { count, ...view }
  const cursor = decodeCursor(range, query.offset)
  const clash =
    (view.contains !== undefined && view.contains !== (cursor.contains ?? '')) ||
    (view.descending !== undefined && view.descending !== cursor.descending)
  if (clash) throw badCursor('belongs to another filter or order of this list')
  return { count, ...cursor }
}

export interface Page<T> {
  list: T[]
  /** Parameters of the next page's request, when more remain. */
  next?: { count: number; offset: string }
  /** Parameters of the previous page's request (with `prev=true`), where there is one. */
  prev?: { count: number; offset: string }
}

/** Wraps one page read into the contract's shape, with a cursor when more remain. */
export function toPage<T>(
  range: Range,
  request: PageRequest,
  list: T[],
  last: string | undefined,
): Page<T> {
  if (last === undefined) return { list }
  const view = { contains: request.contains, descending: request.descending }
  return { list, next: { count: request.count, offset: encodeCursor(range, last, view) } }
}

/**
 * A page of a list that pages both ways (ASA's `prev`). `keys` are the sort keys of
 * the page's items in the order shown; `more` says whether the read stopped with
 * items left in its direction. A page read forward after a cursor links back to the
 * page before its first item; a page read backward (`prev`) links on to the page
 * after its last item, and further back while more remain.
 */
export function toTwoWayPage<T>(
  range: Range,
  request: PageRequest & { prev: boolean },
  list: T[],
  keys: string[],
  more: string | undefined,
): Page<T> {
  const view = { contains: request.contains, descending: request.descending }
  const link = (key: string | undefined) =>
    key === undefined ? undefined : { count: request.count, offset: encodeCursor(range, key, view) }
  const [first, lastShown] = [keys[0], keys[keys.length - 1]]
  const next = request.prev ? link(lastShown) : link(more)
  const prev = request.prev
    ? more === undefined
      ? undefined
      : link(first)
    : request.after === undefined
      ? undefined
      : link(first)
  return { list, ...(next && { next }), ...(prev && { prev }) }
}
