import { describe, expect, it } from 'vitest'
import { refusedNumber, refusedText } from '../../shared/data/errors.js'
import { conditionFailed } from '../support/aws-errors.js'

/**
 * The item a refused condition saw (ALL_OLD) reaches the data layer on the error,
 * marshalled: project create reads a deletion's mark from it, the password lockout
 * its window's start.
 */
describe('refusedText and refusedNumber', () => {
  const refused = conditionFailed({
    deleting: { S: '2026-11-26T10:00:00.000Z' },
    windowStart: { N: '1764151200000' },
    plain: 'as is',
    bad: { N: 'not a number' },
  })

  it('reads marshalled strings and numbers, and a plain value as it is', () => {
    expect(refusedText(refused, 'deleting')).toBe('2026-11-26T10:00:00.000Z')
    expect(refusedNumber(refused, 'windowStart')).toBe(1764151200000)
    expect(refusedText(refused, 'plain')).toBe('as is')
  })

  it('answers undefined for what is absent, of another type or unreadable', () => {
    expect(refusedText(refused, 'missing')).toBeUndefined()
    expect(refusedText(refused, 'windowStart')).toBeUndefined() // a number, not text
    expect(refusedNumber(refused, 'bad')).toBeUndefined()
    expect(refusedNumber(conditionFailed(), 'windowStart')).toBeUndefined() // no item
    expect(refusedText(undefined, 'deleting')).toBeUndefined()
    expect(refusedText(new Error('other'), 'deleting')).toBeUndefined()
  })
})
