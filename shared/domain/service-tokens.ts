import { randomUUID } from 'node:crypto'
import { createLocalJWKSet, type JWTVerifyGetKey, jwtVerify } from 'jose'
import { config } from '../config.js'
import { getUser, type Role } from '../data/users.js'
import { unauthenticated } from '../http/errors.js'
import { jwtKeys } from '../keys/index.js'
import { JWT_ALG } from '../keys/jwt-keys.js'
import { describeError, log } from '../log.js'
import { verifyAccessToken } from './access-tokens.js'

/** Service bearer tokens live one hour (API.md). */
export const SERVICE_TOKEN_SECONDS = 3600

export interface ServiceClaims {
  sub: string
  team: string
  role: Role
  jti: string
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** Signs a compact JWS with the current key (locally or in KMS). */
async function signJwt(claims: Record<string, unknown>): Promise<string> {
  const signer = await jwtKeys.signer()
  const input = `${encode({ alg: JWT_ALG, kid: signer.kid, typ: 'JWT' })}.${encode(claims)}`
  const signature = await signer.sign(Buffer.from(input))
  return `${input}.${Buffer.from(signature).toString('base64url')}`
}

/**
 * Exchanges a personal access token (`key_secret`, whose id is `key_id`) of a user of
 * `team` for a one-hour service bearer token. Anything else is the same 401.
 */
export async function createServiceToken(
  team: string,
  keyId: string,
  keySecret: string,
  now = new Date(),
) {
  const { token, recorded } = await verifyAccessToken(keySecret, now, (error) =>
    log('warn', 'lastUsed not recorded', describeError(error)),
  )
  if (token.team !== team || String(token.id) !== keyId) {
    await recorded
    throw unauthenticated()
  }
  // The lastUsed write and the role lookup are independent: run them together.
  const [user] = await Promise.all([getUser(team, token.username), recorded])
  if (!user) throw unauthenticated()
  const iat = Math.floor(now.getTime() / 1000)
  const exp = iat + SERVICE_TOKEN_SECONDS
  const bearer = await signJwt({
    iss: config().jwt.issuer,
    sub: user.username,
    team,
    role: user.role,
    jti: randomUUID(),
    iat,
    exp,
  })
  return { bearer_token: bearer, expires_at: new Date(exp * 1000).toISOString(), team_name: team }
}

let keySet: Promise<JWTVerifyGetKey> | undefined
const verificationKeys = () => {
  keySet ??= jwtKeys.publicKeys().then(
    (keys) => createLocalJWKSet({ keys }),
    (error) => {
      keySet = undefined // fetch again next time rather than caching the failure
      throw error
    },
  )
  return keySet
}

/**
 * Verifies a service bearer token with no database call: ES256 only (so `none` and
 * HMAC fail), a known `kid`, our issuer, unexpired, with every claim we rely on.
 */
export async function verifyServiceToken(jwt: string): Promise<ServiceClaims> {
  try {
    const { payload } = await jwtVerify(jwt, await verificationKeys(), {
      issuer: config().jwt.issuer,
      algorithms: [JWT_ALG],
      requiredClaims: ['sub', 'team', 'role', 'jti', 'iat', 'exp'],
    })
    const { sub, team, role, jti } = payload
    if (typeof sub !== 'string' || typeof team !== 'string' || typeof jti !== 'string')
      throw unauthenticated()
    if (role !== 'admin' && role !== 'member') throw unauthenticated()
    return { sub, team, role, jti }
  } catch {
    throw unauthenticated()
  }
}

export const publicJwks = async () => ({ keys: await jwtKeys.publicKeys() })
