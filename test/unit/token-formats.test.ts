import { crc32 } from 'node:zlib'
import type { APIGatewayProxyEventV2 } from 'aws-lambda'
import { describe, expect, it } from 'vitest'
import { presentedCredential } from '../../shared/auth/credentials.js'
import { allows } from '../../shared/auth/policy.js'
import { hashesMatch, sha256, toBase62 } from '../../shared/tokens/crypto.js'
import { issueEnrollmentToken, parseEnrollmentToken } from '../../shared/tokens/enrollment-token.js'
import { issuePersonalToken, parsePersonalToken } from '../../shared/tokens/personal-token.js'
import { routedTokenFormat } from '../../shared/tokens/routed-token.js'
import { issueServerToken, parseServerToken } from '../../shared/tokens/server-token.js'
import { UUID_PATTERN, uuidV5, uuidV7 } from '../../shared/tokens/uuid.js'

/**
 * The token formats and credential parsing, one field at a time: what a client sees
 * when it presents something that is almost, but not quite, one of our tokens.
 */

const SERVER_ID = '0190a5b2-7c3d-7e4f-8a1b-2c3d4e5f6a7b'
const SECRET = 'A'.repeat(43)

/** A routed token around any routing text, with a correct checksum. */
function forgeRouted(prefix: string, routing: string, secret = SECRET): string {
  const body = `${prefix}${toBase62(new TextEncoder().encode(routing))}_${secret}`
  const value = crc32(body)
  const check = toBase62(
    Uint8Array.of(value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255),
    6,
  )
  return body + check
}

const base64Json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64')

describe('uuid', () => {
  it('makes version 7 ids whose first 48 bits are the given millisecond', () => {
    const now = Date.UTC(2026, 10, 25, 12, 0, 0, 123)
    const id = uuidV7(now)
    expect(id).toMatch(UUID_PATTERN)
    expect(id.slice(0, 8) + id.slice(9, 13)).toBe(now.toString(16).padStart(12, '0'))
    expect(id[14]).toBe('7')
    expect('89ab').toContain(id[19])
  })

  it('sorts ids by creation time, and never repeats one within a millisecond', () => {
    const times = [1, 255, 256, 65_536, 1_700_000_000_000, 1_700_000_000_001, 2 ** 47]
    const ids = times.map((time) => uuidV7(time))
    expect([...ids].sort()).toEqual(ids)
    const same = new Set(Array.from({ length: 200 }, () => uuidV7(1_700_000_000_000)))
    expect(same.size).toBe(200)
  })

  it('keeps the random bits beside the version and variant random', () => {
    // Setting the version and variant must clear only their own bits: the nibble after
    // the version and the variant's low bits still take many values.
    const ids = Array.from({ length: 200 }, () => uuidV7(0))
    expect(new Set(ids.map((id) => id[15])).size).toBeGreaterThan(8)
    expect(new Set(ids.map((id) => id[19])).size).toBe(4)
    expect(new Set(ids.map((id) => id[20])).size).toBeGreaterThan(8)
  })

  it('derives version 5 ids as RFC 9562 does (its DNS example)', () => {
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    )
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'other.example.com')).not.toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    )
  })

  it.each([
    `x${SERVER_ID}`,
    `${SERVER_ID}x`,
    SERVER_ID.toUpperCase(),
    SERVER_ID.replaceAll('-', ''),
    `${SERVER_ID.slice(0, 8)}${SERVER_ID.slice(9)}-`,
  ])('is not fooled by %j', (text) => {
    expect(UUID_PATTERN.test(text)).toBe(false)
  })
})

describe('hashes', () => {
  it('match only the same hash', () => {
    const hash = sha256('secret')
    expect(hash).toHaveLength(43)
    expect(hashesMatch(hash, sha256('secret'))).toBe(true)
    expect(hashesMatch(hash, sha256('secreT'))).toBe(false)
    expect(hashesMatch(hash, hash.slice(0, 42))).toBe(false)
    expect(hashesMatch(hash, `${hash}A`)).toBe(false)
  })
})

describe('server token format', () => {
  const ref = { team: 'acme', project: 'web', id: SERVER_ID }

  it('round-trips team, project and id, with 256 bits of secret', () => {
    const { token, secret } = issueServerToken(ref)
    expect(token).toMatch(/^lks_[0-9A-Za-z]+_[0-9A-Za-z]{49}$/)
    expect(parseServerToken(token)).toEqual({ ...ref, secret })
  })

  it.each([
    ['a bad team', `Acme:web:${SERVER_ID}`],
    ['a bad project', `acme:-web:${SERVER_ID}`],
    ['a bad id', 'acme:web:42'],
    ['two fields', 'acme:web'],
    ['four fields', `acme:web:${SERVER_ID}:x`],
  ])('refuses a checksummed token with %s', (_, routing) => {
    expect(parseServerToken(forgeRouted('lks_', routing))).toBeUndefined()
  })

  it("refuses a personal token's shape with a server's routing, and the reverse", () => {
    const forged = forgeRouted('lk_', `acme:web:${SERVER_ID}`)
    expect(parseServerToken(forged)).toBeUndefined()
    expect(parsePersonalToken(forgeRouted('lks_', 'acme:alice:1'))).toBeUndefined()
  })
})

describe('routed token format', () => {
  const format = routedTokenFormat('zz_', 2)

  it('accepts the forged token only with its exact checksum', () => {
    const token = forgeRouted('zz_', 'a:b')
    expect(format.parse(token)).toEqual({ fields: ['a', 'b'], secret: SECRET })
    expect(format.parse(`${token}0`)).toBeUndefined()
    expect(format.parse(`x${token}`)).toBeUndefined()
    expect(format.parse(token.slice(0, -1))).toBeUndefined()
  })

  it('refuses a secret one character short or long', () => {
    expect(format.parse(forgeRouted('zz_', 'a:b', SECRET.slice(1)))).toBeUndefined()
    expect(format.parse(forgeRouted('zz_', 'a:b', `${SECRET}A`))).toBeUndefined()
  })

  it('refuses routing longer than 200 characters, and takes 200', () => {
    // 149 bytes of routing text encode to 200 base62 digits here; 150 to 202.
    const longest = forgeRouted('zz_', `a:${'b'.repeat(147)}`)
    expect(longest.split('_')[1]).toHaveLength(200)
    expect(format.parse(longest)?.fields[1]).toHaveLength(147)
    const tooLong = forgeRouted('zz_', `a:${'b'.repeat(148)}`)
    expect(tooLong.split('_')[1]).toHaveLength(202)
    expect(format.parse(tooLong)).toBeUndefined()
  })

  it('issues checksummed tokens with 43-character secrets that it parses back', () => {
    const { token, secret } = format.issue(['x', 'y'])
    expect(secret).toMatch(/^[0-9A-Za-z]{43}$/)
    expect(token.endsWith(token.slice(-6))).toBe(true)
    expect(format.parse(token)).toEqual({ fields: ['x', 'y'], secret })
    // The checksum covers the secret: the same token with another secret fails.
    const other = token.replace(secret, secret.split('').reverse().join(''))
    expect(format.parse(other)).toBeUndefined()
  })
})

describe('personal token format, field by field', () => {
  it.each([
    ['a bad username', 'acme:Alice:1'],
    ['an id past the largest safe integer', `acme:alice:${Number.MAX_SAFE_INTEGER + 2}`],
    ['an id with a sign', 'acme:alice:+1'],
    ['an id with a trailing letter', 'acme:alice:1x'],
  ])('refuses a checksummed token with %s', (_, routing) => {
    expect(parsePersonalToken(forgeRouted('lk_', routing))).toBeUndefined()
  })

  it('takes the largest safe id', () => {
    const token = forgeRouted('lk_', `acme:alice:${Number.MAX_SAFE_INTEGER}`)
    expect(parsePersonalToken(token)?.id).toBe(Number.MAX_SAFE_INTEGER)
    expect(issuePersonalToken({ team: 'a', username: 'b', id: 9 }).token).toMatch(/^lk_/)
  })
})

describe('enrollment token format', () => {
  const ref = { team: 'acme', project: 'web', id: SERVER_ID }
  const good = { s: SECRET, u: 'https://latchkey.example', t: 'acme', p: 'web', i: SERVER_ID }

  it('round-trips as base64 JSON with the secret and the base URL', () => {
    const { token, secret } = issueEnrollmentToken(ref, 'https://latchkey.example')
    expect(JSON.parse(Buffer.from(token, 'base64').toString())).toEqual({
      s: secret,
      u: 'https://latchkey.example',
      t: 'acme',
      p: 'web',
      i: SERVER_ID,
    })
    expect(parseEnrollmentToken(token)).toEqual({ ...ref, secret })
    expect(parseEnrollmentToken(base64Json(good))).toEqual({ ...ref, secret: SECRET })
  })

  it.each([
    ['no secret', { ...good, s: undefined }],
    ['a numeric secret', { ...good, s: 42 }],
    ['a short secret', { ...good, s: SECRET.slice(1) }],
    ['a secret with a symbol', { ...good, s: `${SECRET.slice(1)}-` }],
    ['a secret with a prefix', { ...good, s: `x${SECRET}` }],
    ['no team', { ...good, t: undefined }],
    ['a bad team', { ...good, t: 'Acme' }],
    ['no project', { ...good, p: 7 }],
    ['a bad project', { ...good, p: '.web' }],
    ['no id', { ...good, i: null }],
    ['a bad id', { ...good, i: 'abc' }],
    // Lists whose text would pass each pattern (String(['acme']) is 'acme').
    ['the secret in a list', { ...good, s: [SECRET] }],
    ['the team in a list', { ...good, t: ['acme'] }],
    ['the project in a list', { ...good, p: ['web'] }],
    ['the id in a list', { ...good, i: [SERVER_ID] }],
  ])('refuses a token with %s', (_, payload) => {
    expect(parseEnrollmentToken(base64Json(payload))).toBeUndefined()
  })

  it.each([
    ['JSON null', base64Json(null)],
    ['a JSON string', base64Json('acme')],
    ['a JSON number', base64Json(1)],
    ['text that is not JSON', Buffer.from('{"s":').toString('base64')],
    ['base64 with a symbol in front', `!${base64Json(good)}`],
    ['base64 with a symbol behind', `${base64Json(good)}!`],
    ['base64 with three padding characters', `${base64Json(good).replace(/=*$/, '')}===`],
    ['an empty string', ''],
  ])('refuses %s', (_, token) => {
    expect(parseEnrollmentToken(token)).toBeUndefined()
  })

  it('takes a token of 2048 characters and refuses one of 2052', () => {
    // base64 of 1536 bytes is 2048 characters; pad the URL to make the JSON that long.
    const json = (u: string) => JSON.stringify({ ...good, u })
    const filler = 'x'.repeat(1536 - json('').length)
    const longest = Buffer.from(json(filler)).toString('base64')
    expect(longest).toHaveLength(2048)
    expect(parseEnrollmentToken(longest)).toEqual({ ...ref, secret: SECRET })
    const tooLong = Buffer.from(json(`${filler}xxx`)).toString('base64')
    expect(tooLong).toHaveLength(2052)
    expect(parseEnrollmentToken(tooLong)).toBeUndefined()
  })

  it('takes padded base64', () => {
    for (const extra of ['', 'x', 'xx']) {
      const token = base64Json({ ...good, u: `https://a${extra}` })
      expect(parseEnrollmentToken(token)).toEqual({ ...ref, secret: SECRET })
    }
  })
})

describe('presented credential', () => {
  const event = (
    headers: Record<string, string> | undefined,
    query?: Record<string, string>,
  ): APIGatewayProxyEventV2 =>
    ({ headers, queryStringParameters: query }) as unknown as APIGatewayProxyEventV2

  it.each([
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['Bearer   abc', 'abc'],
    ['Bearer abc  ', 'abc'],
  ])('reads %j as the token', (header, token) => {
    expect(presentedCredential(event({ authorization: header }))).toBe(token)
  })

  it.each(['xBearer abc', 'Bearer abc def', 'Bearerabc', 'Basic abc', 'Bearer ', 'Bearer\tabc'])(
    'treats %j as a failed credential, not an absent one',
    (header) => {
      expect(presentedCredential(event({ authorization: header }))).toBe('')
    },
  )

  it('prefers the header to the query, and falls back to the query', () => {
    expect(presentedCredential(event({ authorization: 'Bearer h' }, { token: 'q' }))).toBe('h')
    expect(presentedCredential(event({}, { token: 'q' }))).toBe('q')
    expect(presentedCredential(event(undefined, { token: 'q' }))).toBe('q')
    expect(presentedCredential(event({}))).toBeUndefined()
  })
})

describe('policy', () => {
  it('lets members read but only admins manage', () => {
    expect(allows('member', 'read')).toBe(true)
    expect(allows('admin', 'read')).toBe(true)
    expect(allows('admin', 'manage')).toBe(true)
    expect(allows('member', 'manage')).toBe(false)
  })
})
