import { createLocalJWKSet, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose'
import { jwtKeys } from './index.js'
import { JWT_ALG } from './jwt-keys.js'

/**
 * Compact JWS with the service's one signing key. Service bearer tokens are its only
 * kind (`typ: JWT`); the verifier demands the `typ`, so a JWS minted for any other
 * purpose with the same key could not pass as one.
 */
export type JwsType = 'JWT'

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
