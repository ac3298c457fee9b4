import type { JWK } from 'jose'
import { type Config, ConfigError } from '../config.js'
import { config } from '../context.js'
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
function signerFromConfig({ jwt, region }: Config): () => Promise<JwtSigner> {
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
function publicKeysFromConfig({ jwt }: Config): () => Promise<JWK[]> {
  if (jwt.kmsKeyId) return getServiceKeys
  if (jwt.keyFile) return fromFile(jwt.keyFile).publicKeys
  throw missing()
}

/** A value built from the process's configuration once, and again only if it changes. */
function perConfig<T>(build: (config: Config) => T): () => T {
  let built: { from: Config; value: T } | undefined
  return () => {
    const from = config()
    if (built?.from !== from) built = { from, value: build(from) }
    return built.value
  }
}

/**
 * Chosen and checked once per process, on first use (a container's first request;
 * the local server's start). A function that only verifies never calls the signer's
 * builder, so it bundles no KMS client; one that never touches service tokens neither.
 */
const signer = /* @__PURE__ */ perConfig(signerFromConfig)
const publicKeys = /* @__PURE__ */ perConfig(publicKeysFromConfig)
export const jwtSigner = (): Promise<JwtSigner> => signer()()
/** Builds both sources now (reading a key file now): for a start that removes it after. */
export function loadKeySources(): void {
  signer()
  publicKeys()
}
export const jwtPublicKeys = (): Promise<JWK[]> => publicKeys()()
