import { describe, expect, it } from 'vitest'
import { AccessToken, TokenRevocation } from '../../shared/data/entities.js'
import { liveTokenItems, revokedThroughIn } from '../../shared/data/token-revocation.js'

const token = (id: number) => ({ kind: AccessToken.kind, id })
const mark = (revokedThrough: number) => ({ kind: TokenRevocation.kind, revokedThrough })

describe("a user's PAT# items and the revocation mark among them", () => {
  it('reads the mark wherever it stands among the items, 0 without one', () => {
    expect(revokedThroughIn([token(1), mark(7), token(9)])).toBe(7)
    expect(revokedThroughIn([token(1), token(2)])).toBe(0)
    expect(revokedThroughIn([])).toBe(0)
    // A token's own attributes never pass for a mark.
    expect(revokedThroughIn([{ kind: AccessToken.kind, id: 3, revokedThrough: 9 }])).toBe(0)
  })

  it('keeps only the tokens above the mark, in their order, and never the mark itself', () => {
    expect(liveTokenItems([mark(2), token(1), token(2), token(3), token(5)])).toEqual([
      token(3),
      token(5),
    ])
    expect(liveTokenItems([token(4), token(1)])).toEqual([token(4), token(1)])
    expect(liveTokenItems([mark(9), token(3)])).toEqual([])
  })
})
