import { expect } from 'vitest'

/**
 * Fails when `text` holds any 8-character piece of any of `secrets` (so also any
 * longer one): a hash prefix, a token's tail or a secret cut in half is a leak too.
 * Eight characters of base62 or hex are too many to match by chance in event text.
 */
export function expectNoFragmentOf(text: string, secrets: readonly string[], min = 8): void {
  expect(secrets.length).toBeGreaterThan(0)
  for (const secret of secrets) {
    expect(secret.length, 'a secret shorter than the fragment size').toBeGreaterThanOrEqual(min)
    for (let i = 0; i + min <= secret.length; i++) {
      const piece = secret.slice(i, i + min)
      if (text.includes(piece))
        expect.fail(`found "${piece}" (characters ${i}-${i + min} of a secret) in the text`)
    }
  }
}
