import { ConfigError, config } from '../config.js'
import type { JwtKeySource } from './jwt-keys.js'
import { createKmsClient, kmsJwtKeys } from './kms-jwt-keys.js'
import { localJwtKeys } from './local-jwt-keys.js'

function fromConfig(): JwtKeySource {
  const { jwt, region } = config()
  if (jwt.kmsKeyId) return kmsJwtKeys(createKmsClient(region), jwt.kmsKeyId, jwt.previousKmsKeyIds)
  if (jwt.keyFile) return localJwtKeys(jwt.keyFile)
  throw new ConfigError('JWT_KMS_KEY_ID', 'or JWT_KEY_FILE must be set (service-token keys)')
}

/**
 * The service-token keys, chosen and checked once per cold start. Pure to the
 * bundler, so functions that never sign or verify drop it and its KMS client.
 */
export const jwtKeys: JwtKeySource = /* @__PURE__ */ fromConfig()
