import { crc32 } from 'node:zlib'
import { NAME_PATTERN } from '../names.js'
import { base62Width, fromBase62, randomSecret, toBase62 } from './crypto.js'

/**
 * Personal access token: `lk_<routing>_<secret><checksum>`.
 * - routing: base62 of `team:username:id`, so verification is one GetItem by key;
 * - secret: 32 random bytes (256 bits) as 43 base62 characters;
 * - checksum: CRC-32 of everything before it, 6 base62 characters, so typos and
 *   garbage are rejected before any I/O.
 * Base62 keeps the token one "word" (double-click selects it) and URL-safe, which
 * matters because Server Density clients send it in the query string.
 */
export interface PersonalTokenRef {
  team: string
  username: string
  id: number
}

const PREFIX = 'lk_'
const SECRET_BYTES = 32
const SECRET_LENGTH = base62Width(SECRET_BYTES)
const CHECK_LENGTH = base62Width(4)
const SHAPE = new RegExp(
  `^${PREFIX}([0-9A-Za-z]{1,200})_([0-9A-Za-z]{${SECRET_LENGTH}})([0-9A-Za-z]{${CHECK_LENGTH}})$`,
)
const MAX_ID = Number.MAX_SAFE_INTEGER

function checksum(body: string): string {
  const value = crc32(body)
  return toBase62(
    Uint8Array.of(value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255),
    CHECK_LENGTH,
  )
}

export function issuePersonalToken(ref: PersonalTokenRef): { token: string; secret: string } {
  const routing = toBase62(new TextEncoder().encode(`${ref.team}:${ref.username}:${ref.id}`))
  const secret = randomSecret(SECRET_BYTES)
  const body = `${PREFIX}${routing}_${secret}`
  return { token: body + checksum(body), secret }
}

/** The token's parts, or undefined for anything that is not a well-formed token. */
export function parsePersonalToken(
  token: string,
): (PersonalTokenRef & { secret: string }) | undefined {
  const match = SHAPE.exec(token)
  if (!match) return undefined
  const [, routing = '', secret = '', check = ''] = match
  if (checksum(token.slice(0, token.length - CHECK_LENGTH)) !== check) return undefined
  const bytes = fromBase62(routing)
  if (!bytes) return undefined
  const [team = '', username = '', idText = '', ...rest] = new TextDecoder()
    .decode(bytes)
    .split(':')
  const id = Number(idText)
  if (rest.length > 0 || !NAME_PATTERN.test(team) || !NAME_PATTERN.test(username)) return undefined
  if (!/^[1-9][0-9]*$/.test(idText) || id > MAX_ID) return undefined
  return { team, username, id, secret }
}
