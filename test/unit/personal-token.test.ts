import { crc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { fromBase62, randomSecret, toBase62 } from '../../shared/tokens/crypto.js'
import { issuePersonalToken, parsePersonalToken } from '../../shared/tokens/personal-token.js'

describe('personal token format', () => {
  it('round-trips team, user and id, and carries 256 bits of secret', () => {
    const ref = { team: 'a_b.c-d', username: 'user_1', id: 123456789 }
    const { token, secret } = issuePersonalToken(ref)
    expect(token).toMatch(/^lk_[0-9A-Za-z]+_[0-9A-Za-z]{49}$/)
    expect(secret).toHaveLength(43)
    expect(parsePersonalToken(token)).toEqual({ ...ref, secret })
  })

  it('never issues the same secret twice', () => {
    const secrets = new Set(
      Array.from(
        { length: 1000 },
        () => issuePersonalToken({ team: 't', username: 'u', id: 1 }).secret,
      ),
    )
    expect(secrets.size).toBe(1000)
  })

  it('rejects every single-character change through its checksum', () => {
    const { token } = issuePersonalToken({ team: 'acme', username: 'alice', id: 7 })
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
    let tried = 0
    for (let i = 3; i < token.length; i++) {
      if (token[i] === '_') continue
      const replacement = alphabet[(alphabet.indexOf(token[i] ?? '0') + 1) % 62]
      expect(
        parsePersonalToken(token.slice(0, i) + replacement + token.slice(i + 1)),
      ).toBeUndefined()
      tried++
    }
    expect(tried).toBeGreaterThan(60)
  })

  it.each([
    '',
    'lk_',
    'garbage',
    'Bearer lk_x',
    'lk_abc_def',
    `lk_${'a'.repeat(300)}_${'b'.repeat(49)}`,
  ])('rejects %j', (token) => {
    expect(parsePersonalToken(token)).toBeUndefined()
  })

  it('rejects a checksummed token whose routing is not team:user:id', () => {
    // Forge well-formed tokens around bad routing data, with valid checksums.
    for (const routing of [
      'acme:alice',
      'Acme:alice:1',
      'acme:alice:0',
      'acme:alice:01',
      'a:b:1:2',
    ]) {
      const good = issuePersonalToken({ team: 'acme', username: 'alice', id: 1 }).token
      const forgedRouting = toBase62(new TextEncoder().encode(routing))
      const body = `lk_${forgedRouting}_${good.split('_')[2]?.slice(0, 43)}`
      const value = crc32(body)
      const check = toBase62(
        Uint8Array.of(value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255),
        6,
      )
      expect(parsePersonalToken(body + check)).toBeUndefined()
    }
  })
})

describe('base62', () => {
  it('round-trips bytes and pads to width', () => {
    const bytes = Uint8Array.from([1, 2, 3, 255, 0, 9])
    expect(fromBase62(toBase62(bytes))).toEqual(bytes)
    expect(toBase62(Uint8Array.of(0), 4)).toBe('0000')
    expect(randomSecret(32)).toMatch(/^[0-9A-Za-z]{43}$/)
    expect(fromBase62('ab-')).toBeUndefined()
  })
})
