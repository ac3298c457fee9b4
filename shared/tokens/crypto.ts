import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const BASE = 62n

/** Base62 of a byte string, left-padded with '0' to `width` when given. */
export function toBase62(bytes: Uint8Array, width = 0): string {
  let n = 0n
  for (const byte of bytes) n = (n << 8n) | BigInt(byte)
  let out = ''
  while (n > 0n) {
    out = ALPHABET[Number(n % BASE)] + out
    n /= BASE
  }
  return out.padStart(width, '0')
}

/** Inverse of toBase62 for strings without leading zero bytes; undefined on a bad digit. */
export function fromBase62(text: string): Uint8Array | undefined {
  let n = 0n
  for (const char of text) {
    const digit = ALPHABET.indexOf(char)
    if (digit < 0) return undefined
    n = n * BASE + BigInt(digit)
  }
  const bytes: number[] = []
  while (n > 0n) {
    bytes.unshift(Number(n & 0xffn))
    n >>= 8n
  }
  return Uint8Array.from(bytes)
}

/** `bytes` of cryptographic randomness, as fixed-width base62. */
export function randomSecret(bytes: number): string {
  return toBase62(randomBytes(bytes), base62Width(bytes))
}

/** How many base62 digits hold any value of `bytes` bytes. */
export function base62Width(bytes: number): number {
  return Math.ceil((bytes * 8) / Math.log2(62))
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64url')
}

/** Compares two hashes in time independent of where they differ. */
export function hashesMatch(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}
