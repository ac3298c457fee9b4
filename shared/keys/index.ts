import type { JWK } from 'jose'
import { ConfigError, config } from '../config.js'
import { getServiceKeys, putServiceKeys } from '../data/service-keys.js'
import type { JwtSigner } from './jwt-keys.js'
import { createKmsClient, kmsJwtKeys } from './kms-jwt-keys.js'
import { localJwtKeys } from './local-jwt-keys.js'

/** The key file, read and parsed once however many of the two sources below use it. */
let fileKeys: { path: string; keys: ReturnType<typeof localJwtKeys> } | undefined
const fromFile = (path: string) => {
  if (fileKeys?.path !== path) fileKeys = { path, keys: localJwtKeys(path) }
  return fileKeys.keys
}

const missing = () =>
  new ConfigError('JWT_KMS_KEY_ID', 'or JWT_KEY_FILE must be set (service-token keys)')

/**
 * On AWS the signer publishes its public keys (KMS's, current and previous) to the
 * table before its first signature in each container, so every token it signs can be
 * verified from there; locally the key file holds both halves.
 */
function signerFromConfig(): () => Promise<JwtSigner> {
  const { jwt, region } = config()
  if (jwt.kmsKeyId) {
    const kms = kmsJwtKeys(createKmsClient(region), jwt.kmsKeyId, jwt.previousKmsKeyIds)
    let ready: Promise<JwtSigner> | undefined
    return () => {
      ready ??= kms
        .publicKeys()
        .then(putServiceKeys)
        .then(() => kms.signer())
        .catch((error) => {
          ready = undefined // publish again next time rather than caching the failure
          throw error
        })
      return ready
    }
  }
  if (jwt.keyFile) return fromFile(jwt.keyFile).signer
  throw missing()
}

/**
 * Verifiers read the published keys from the table (one GetItem per container, and
 * again when a token names a key they have not seen): no KMS client, no KMS call and
 * no `kms:GetPublicKey` in the functions that only verify.
 */
function publicKeysFromConfig(): () => Promise<JWK[]> {
  const { jwt } = config()
  if (jwt.kmsKeyId) return getServiceKeys
  if (jwt.keyFile) return fromFile(jwt.keyFile).publicKeys
  throw missing()
}

/**
 * Chosen and checked once per cold start. Pure to the bundler: a function that
 * only verifies bundles no signer (so no KMS client), one that never touches
 * service tokens bundles neither.
 */
export const jwtSigner = /* @__PURE__ */ signerFromConfig()
export const jwtPublicKeys = /* @__PURE__ */ publicKeysFromConfig()
