import { createLocalJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose'
import { jwtPublicKeys, jwtSigner } from './index.js'
import { JWT_ALG, KEY_REFRESH_MS } from './jwt-keys.js'

/**
 * Compact JWS with the service's one signing key. Service bearer tokens are its only
 * kind (`typ: JWT`); the verifier demands the `typ`, so a JWS minted for any other
 * purpose with the same key could not pass as one.
 */
export type JwsType = 'JWT'

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** Signs with the current key (locally or in KMS; the private key never leaves KMS). */
export async function signJws(typ: JwsType, claims: Record<string, unknown>): Promise<string> {
  const signer = await jwtSigner()
  const input = `${encode({ alg: JWT_ALG, kid: signer.kid, typ })}.${encode(claims)}`
  const signature = await signer.sign(Buffer.from(input))
  return `${input}.${Buffer.from(signature).toString('base64url')}`
}

interface KeySet {
  get: JWTVerifyGetKey
  loadedAt: number
}
let keySet: Promise<KeySet> | undefined
const loadKeys = () => {
  keySet ??= jwtPublicKeys().then(
    (keys) => ({ get: createLocalJWKSet({ keys }), loadedAt: Date.now() }),
    (error) => {
      keySet = undefined // fetch again next time rather than caching the failure
      throw error
    },
  )
  return keySet
}

/**
 * The verification key a token names. A `kid` this container has not seen makes it
 * fetch the published keys again (a rotation may have published one since), but at
 * most once per KEY_REFRESH_MS, so tokens naming made-up keys cost no reads.
 */
const keyFor: JWTVerifyGetKey = async (header, token) => {
  const current = await loadKeys()
  try {
    return await current.get(header, token)
  } catch (error) {
    const unknownKey = error instanceof errors.JWKSNoMatchingKey
    if (!unknownKey || Date.now() - current.loadedAt < KEY_REFRESH_MS) throw error
    if (keySet && (await keySet) === current) keySet = undefined
    return (await loadKeys()).get(header, token)
  }
}

/** A token that does not verify: a verdict on the token, unlike failing to read keys. */
export class InvalidJws extends Error {
  override name = 'InvalidJws'
}

/**
 * Verifies locally with the cached public keys: our algorithm only (so `none` and
 * HMAC fail), a known `kid`, the expected `typ`, and `exp` when present. A token that
 * fails throws InvalidJws; failing to read the keys (the table throttling, say)
 * throws that error instead, so it is answered as the outage it is, not as a 401.
 */
export async function verifyJws(
  typ: JwsType,
  token: string,
  options: { issuer?: string; requiredClaims?: string[] } = {},
): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, keyFor, {
      ...options,
      typ,
      algorithms: [JWT_ALG],
    })
    return payload
  } catch (error) {
    if (error instanceof errors.JOSEError) throw new InvalidJws(error.code)
    throw error
  }
}
