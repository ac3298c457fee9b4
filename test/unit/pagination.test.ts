import { describe, expect, it } from 'vitest'
import type { Range } from '../../shared/data/keys.js'
import {
  DEFAULT_PAGE_SIZE,
  pageRequest,
  toPage,
  toTwoWayPage,
} from '../../shared/domain/pagination.js'
import { DomainError } from '../../shared/errors.js'

/**
 * Cursors as a client meets them: the `next`/`prev` offsets a page hands out take the
 * next request exactly where the last one stopped, and an offset the list did not give
 * out (another list's, another filter's, a hand-made one) is a 400 naming `offset`.
 */

const tokens: Range = { PK: 'TEAM#acme', prefix: 'TOKEN#alice#' }
const otherUser: Range = { PK: 'TEAM#acme', prefix: 'TOKEN#bob#' }
const otherTeam: Range = { PK: 'TEAM#evil', prefix: 'TOKEN#alice#' }

const cursor = (fields: Record<string, unknown>) =>
  Buffer.from(JSON.stringify(fields)).toString('base64url')
const scope = `${tokens.PK}|${tokens.prefix}`

/** The error a client gets back, in full. */
function refusal(run: () => unknown) {
  try {
    run()
  } catch (error) {
    if (!(error instanceof DomainError)) throw error
    return { code: error.code, message: error.message, errors: error.errors }
  }
  throw new Error('no refusal')
}

const notOurs = {
  code: 'invalid_request',
  message: 'The offset is not a cursor this list gave out.',
  errors: [{ description: 'offset', message: 'is not a valid cursor for this list' }],
}

/** The offset of a page's `next` link after `after`. */
const nextOffset = (range: Range, after: string, view = {}) => {
  const page = toPage(range, { count: 5, ...view }, ['x'], after)
  return page.next?.offset ?? ''
}

describe('page requests', () => {
  it('asks for the default page size, or the count given, from the start', () => {
    expect(pageRequest(tokens, {})).toEqual({ count: DEFAULT_PAGE_SIZE })
    expect(DEFAULT_PAGE_SIZE).toBe(100)
    expect(pageRequest(tokens, { count: '7' })).toEqual({ count: 7 })
    expect(pageRequest(tokens, { count: '7' }, { contains: 'ci' })).toEqual({
      count: 7,
      contains: 'ci',
    })
  })

  it('continues after the last key of the page that gave the cursor', () => {
    const offset = nextOffset(tokens, 'TOKEN#alice#0042')
    expect(pageRequest(tokens, { count: '3', offset })).toEqual({
      count: 3,
      after: 'TOKEN#alice#0042',
      contains: undefined,
      descending: false,
    })
  })

  it('carries the filter and the order into the next page', () => {
    const offset = nextOffset(tokens, 'TOKEN#alice#0042', { contains: 'ci', descending: true })
    expect(pageRequest(tokens, { offset })).toEqual({
      count: DEFAULT_PAGE_SIZE,
      after: 'TOKEN#alice#0042',
      contains: 'ci',
      descending: true,
    })
    // A client re-sending the same filter and order is fine; another is not.
    expect(pageRequest(tokens, { offset }, { contains: 'ci', descending: true }).after).toBe(
      'TOKEN#alice#0042',
    )
    const clash = {
      ...notOurs,
      errors: [
        { description: 'offset', message: 'belongs to another filter or order of this list' },
      ],
    }
    expect(refusal(() => pageRequest(tokens, { offset }, { contains: 'cd' }))).toEqual(clash)
    expect(refusal(() => pageRequest(tokens, { offset }, { descending: false }))).toEqual(clash)
  })

  it('refuses a filter or an order that the cursor did not have', () => {
    const plain = nextOffset(tokens, 'TOKEN#alice#0042')
    expect(refusal(() => pageRequest(tokens, { offset: plain }, { contains: 'ci' }))).toMatchObject(
      { code: 'invalid_request' },
    )
    expect(
      refusal(() => pageRequest(tokens, { offset: plain }, { descending: true })),
    ).toMatchObject({ code: 'invalid_request' })
    // Naming no filter, or an empty one, matches a cursor without a filter.
    expect(pageRequest(tokens, { offset: plain }, { contains: '' }).after).toBe('TOKEN#alice#0042')
    expect(pageRequest(tokens, { offset: plain }, { descending: false }).after).toBe(
      'TOKEN#alice#0042',
    )
  })

  it("refuses another user's or another team's cursor", () => {
    expect(
      refusal(() => pageRequest(tokens, { offset: nextOffset(otherUser, 'TOKEN#bob#1') })),
    ).toEqual(notOurs)
    expect(
      refusal(() => pageRequest(tokens, { offset: nextOffset(otherTeam, 'TOKEN#alice#1') })),
    ).toEqual(notOurs)
  })

  it.each([
    ['text that is not base64 JSON', '!!!'],
    ['JSON null', cursor(null as unknown as Record<string, unknown>)],
    ['another version', cursor({ v: 2, scope, after: 'TOKEN#alice#1' })],
    ['no version', cursor({ scope, after: 'TOKEN#alice#1' })],
    ['no scope', cursor({ v: 1, after: 'TOKEN#alice#1' })],
    ['a key outside the list', cursor({ v: 1, scope, after: 'TOKEN#bob#1' })],
    ['a key that is a number', cursor({ v: 1, scope, after: 42 })],
    ['no key', cursor({ v: 1, scope })],
    ['a key over 1024 bytes', cursor({ v: 1, scope, after: `TOKEN#alice#${'é'.repeat(507)}` })],
    ['a filter that is not text', cursor({ v: 1, scope, after: 'TOKEN#alice#1', contains: 3 })],
    [
      'an order that is not true',
      cursor({ v: 1, scope, after: 'TOKEN#alice#1', descending: false }),
    ],
    ['an order that is text', cursor({ v: 1, scope, after: 'TOKEN#alice#1', descending: 'yes' })],
  ])('refuses a cursor with %s', (_, offset) => {
    expect(refusal(() => pageRequest(tokens, { offset }))).toEqual(notOurs)
  })

  it('takes a hand-made cursor with a key of exactly 1024 bytes inside the list', () => {
    const after = `TOKEN#alice#${'é'.repeat(506)}`
    expect(Buffer.byteLength(after)).toBe(1024)
    expect(pageRequest(tokens, { offset: cursor({ v: 1, scope, after }) }).after).toBe(after)
  })
})

describe('pages', () => {
  it('links to a next page only when the read stopped with items left', () => {
    expect(toPage(tokens, { count: 2 }, ['a', 'b'], undefined)).toEqual({ list: ['a', 'b'] })
    const page = toPage(tokens, { count: 2 }, ['a', 'b'], 'TOKEN#alice#2')
    expect(page.list).toEqual(['a', 'b'])
    expect(page.next?.count).toBe(2)
    expect(page.prev).toBeUndefined()
    // The plain cursor carries no filter or order.
    expect(JSON.parse(Buffer.from(page.next?.offset ?? '', 'base64url').toString())).toEqual({
      v: 1,
      scope,
      after: 'TOKEN#alice#2',
    })
  })

  const two = (
    request: { prev: boolean; after?: string },
    keys: string[],
    more: string | undefined,
  ) => {
    const page = toTwoWayPage(tokens, { count: 2, ...request }, keys, keys, more)
    const keyOf = (link?: { offset: string }) =>
      link && pageRequest(tokens, { offset: link.offset }).after
    return { next: keyOf(page.next), prev: keyOf(page.prev), list: page.list }
  }

  it('pages forward and back through a list (ASA prev)', () => {
    const k = (n: number) => `TOKEN#alice#${n}`
    // Forward from the start: on to the rest, nothing before.
    expect(two({ prev: false }, [k(1), k(2)], k(2))).toMatchObject({ next: k(2), prev: undefined })
    // Forward after a cursor: on, and back to before its first item.
    expect(two({ prev: false, after: k(2) }, [k(3), k(4)], k(4))).toMatchObject({
      next: k(4),
      prev: k(3),
    })
    // Forward to the end: back only.
    expect(two({ prev: false, after: k(4) }, [k(5)], undefined)).toEqual({
      list: [k(5)],
      next: undefined,
      prev: k(5),
    })
    // Backward with more before: on after its last item, and further back.
    expect(two({ prev: true, after: k(5) }, [k(3), k(4)], k(3))).toMatchObject({
      next: k(4),
      prev: k(3),
    })
    // Backward to the start: on only.
    expect(two({ prev: true, after: k(3) }, [k(1), k(2)], undefined)).toEqual({
      list: [k(1), k(2)],
      next: k(2),
      prev: undefined,
    })
  })

  it('keeps the filter and order in both links', () => {
    const request = {
      count: 2,
      prev: false,
      after: 'TOKEN#alice#2',
      contains: 'ci',
      descending: true,
    }
    const page = toTwoWayPage(tokens, request, ['a'], ['TOKEN#alice#3'], 'TOKEN#alice#3')
    for (const link of [page.next, page.prev]) {
      expect(link?.count).toBe(2)
      expect(pageRequest(tokens, { offset: link?.offset ?? '' })).toMatchObject({
        contains: 'ci',
        descending: true,
      })
    }
  })
})
