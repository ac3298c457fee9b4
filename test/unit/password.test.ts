import { describe, expect, it } from 'vitest'
import { DUMMY_HASH, hashPassword, verifyPassword } from '../../shared/auth/password.js'

describe('password hashing', () => {
  it('verifies the right password only, with parameters stored in the hash', async () => {
    const hash = await hashPassword('correct horse')
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/)
    expect(await verifyPassword('correct horse', hash)).toBe(true)
    expect(await verifyPassword('correct horsf', hash)).toBe(false)
    expect(await hashPassword('correct horse')).not.toBe(hash) // salted
  })

  it('does the same work for the dummy hash and never matches it', async () => {
    expect(await verifyPassword('', DUMMY_HASH)).toBe(false)
    expect(await verifyPassword('anything', 'plain-text')).toBe(false)
  })

  it('reads the cost from the stored hash, so hashes made at other parameters still verify', async () => {
    // Made at N = 2^13 (what an older release might have stored), not today's 2^15,
    // nor scrypt's default 2^14.
    const { scrypt } = await import('node:crypto')
    const salt = Buffer.alloc(16, 7)
    const key = await new Promise<Buffer>((resolve, reject) =>
      scrypt('older', salt, 32, { N: 2 ** 13, r: 8, p: 1 }, (error, derived) =>
        error ? reject(error) : resolve(derived),
      ),
    )
    const older = `scrypt$8192$8$1$${salt.toString('base64url')}$${key.toString('base64url')}`
    expect(await verifyPassword('older', older)).toBe(true)
    expect(await verifyPassword('olded', older)).toBe(false)
  })

  it('compares the same text however it was typed (NFKC)', async () => {
    // The "fi" ligature and full-width digits are the plain letters and digits.
    const hash = await hashPassword('ﬁle１２３')
    expect(await verifyPassword('file123', hash)).toBe(true)
    expect(await verifyPassword('ﬁle１２３', hash)).toBe(true)
  })

  it('matches only scrypt hashes of the full length: another scheme or a cut hash is false', async () => {
    const hash = await hashPassword('correct horse')
    const [, ...rest] = hash.split('$')
    expect(await verifyPassword('correct horse', ['bcrypt', ...rest].join('$'))).toBe(false)
    expect(await verifyPassword('correct horse', hash.slice(0, -4))).toBe(false)
    expect(await verifyPassword('correct horse', `${hash}AAAA`)).toBe(false)
  })
})
