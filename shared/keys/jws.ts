import { createLocalJWKSet, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose'
import { jwtKeys } from './index.js'
import { JWT_ALG } from './jwt-keys.js'

/**
 * Compact JWS with the service's one signing key, for two kinds of token told apart
 * by `typ`: service bearer tokens (`JWT`) and list cursors (`cursor`). Each verifier
 * demands its own `typ`, so neither can stand in for the other.
 */
export type JwsType = 'JWT' | 'cursor'

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** Signs with the current key (locally or in KMS; the private key never leaves KMS). */
export async function signJws(typ: JwsType, claims: Record<string, unknown>): Promise<string> {
  const signer = await jwtKeys.signer()
  const input = `${encode({ alg: JWT_ALG, kid: signer.kid, typ })}.${encode(claims)}`
  const signature = await signer.sign(Buffer.from(input))
  return `${input}.${Buffer.from(signature).toString('base64url')}`
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
 * Verifies locally with the cached public keys: our algorithm only (so `none` and
 * HMAC fail), a known `kid`, the expected `typ`, and `exp` when present. Throws on
 * any failure; callers map that to their own error.
 */
export async function verifyJws(
  typ: JwsType,
  token: string,
  options: { issuer?: string; requiredClaims?: string[] } = {},
): Promise<JWTPayload> {
  const { payload } = await jwtVerify(token, await verificationKeys(), {
    ...options,
    typ,
    algorithms: [JWT_ALG],
  })
  return payload
}
