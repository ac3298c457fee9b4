import { NAME_PATTERN } from '../names.js'
import { randomSecret } from './crypto.js'
import { UUID_PATTERN } from './uuid.js'

/**
 * A server enrollment token, as ASA's agents read it: base64 of JSON with `s` (the
 * secret, 256 bits) and `u` (the service's base URL), plus `t`, `p` and `i` (team,
 *  project, token id) so that the enrollment transaction finds it by key.
 */
export interface EnrollmentTokenRef {
  team: string
  project: string
  id: string
}

const SECRET = /^[0-9A-Za-z]{43}$/
const MAX_LENGTH = 2048

export function issueEnrollmentToken(ref: EnrollmentTokenRef, baseUrl: string) {
  const secret = randomSecret(32)
  const payload = { s: secret, u: baseUrl, t: ref.team, p: ref.project, i: ref.id }
  return { token: Buffer.from(JSON.stringify(payload)).toString('base64'), secret }
}

/** The token's parts, or undefined for anything that is not one of our tokens. */
export function parseEnrollmentToken(
  token: string,
): (EnrollmentTokenRef & { secret: string }) | undefined {
  if (token.length > MAX_LENGTH || !/^[A-Za-z0-9+/]+={0,2}$/.test(token)) return undefined
  let payload: unknown
  try {
    payload = JSON.parse(Buffer.from(token, 'base64').toString('utf8'))
  } catch {
    return undefined
  }
  if (!payload || typeof payload !== 'object') return undefined
  const { s, t, p, i } = payload as Record<string, unknown>
  if (typeof s !== 'string' || !SECRET.test(s)) return undefined
  if (typeof t !== 'string' || !NAME_PATTERN.test(t)) return undefined
  if (typeof p !== 'string' || !NAME_PATTERN.test(p)) return undefined
  if (typeof i !== 'string' || !UUID_PATTERN.test(i)) return undefined
  return { team: t, project: p, id: i, secret: s }
}
