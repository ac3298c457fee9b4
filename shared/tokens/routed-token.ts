import { crc32 } from 'node:zlib'
import { base62Width, fromBase62, randomSecret, toBase62 } from './crypto.js'

/**
 * A secret that says where its record lives: `<prefix><routing>_<secret><checksum>`.
 * - routing: base62 of the record's key fields joined by `:`, so verification is one
 *   GetItem by key;
 * - secret: 32 random bytes (256 bits) as 43 base62 characters;
 * - checksum: CRC-32 of everything before it, 6 base62 characters, so typos and
 *   garbage are rejected before any I/O.
 * Base62 keeps a token one "word" (double-click selects it) and URL-safe.
 */
const SECRET_BYTES = 32
const SECRET_LENGTH = base62Width(SECRET_BYTES)
const CHECK_LENGTH = base62Width(4)

function checksum(body: string): string {
  const value = crc32(body)
  return toBase62(
    Uint8Array.of(value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255),
    CHECK_LENGTH,
  )
}

export interface RoutedTokenFormat {
  issue(fields: readonly string[]): { token: string; secret: string }
  /** The routing fields and secret, or undefined for anything not well formed. */
  parse(token: string): { fields: string[]; secret: string } | undefined
}

export function routedTokenFormat(prefix: string, fieldCount: number): RoutedTokenFormat {
  const shape = new RegExp(
    `^${prefix}([0-9A-Za-z]{1,200})_([0-9A-Za-z]{${SECRET_LENGTH}})([0-9A-Za-z]{${CHECK_LENGTH}})$`,
  )
  return {
    issue(fields) {
      const routing = toBase62(new TextEncoder().encode(fields.join(':')))
      const secret = randomSecret(SECRET_BYTES)
      const body = `${prefix}${routing}_${secret}`
      return { token: body + checksum(body), secret }
    },
    parse(token) {
      const match = shape.exec(token)
      if (!match) return undefined
      const [, routing = '', secret = '', check = ''] = match
      if (checksum(token.slice(0, token.length - CHECK_LENGTH)) !== check) return undefined
      const bytes = fromBase62(routing)
      if (!bytes) return undefined
      const fields = new TextDecoder().decode(bytes).split(':')
      return fields.length === fieldCount ? { fields, secret } : undefined
    },
  }
}
