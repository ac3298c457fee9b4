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
})
