import { ConfigError, config } from '../config.js'
import { createKmsClient } from './kms-jwt-keys.js'
import { kmsSealer } from './kms-sealer.js'
import { localSealer } from './local-sealer.js'
import type { Sealer } from './sealer.js'

function fromConfig(): Sealer {
  const { sealing, region } = config()
  if (sealing.kmsKeyId) return kmsSealer(createKmsClient(region), sealing.kmsKeyId)
  if (sealing.keyFile) return localSealer(sealing.keyFile)
  throw new ConfigError(
    'SEAL_KMS_KEY_ID',
    'or SEAL_KEY_FILE must be set (sealed enrollment tokens)',
  )
}

/**
 * The sealer, chosen and checked once per cold start, only in functions that seal.
 * Pure to the bundler: a function that merely imports a module that imports this
 * one bundles no KMS client and checks no sealing configuration.
 */
export const sealer: Sealer = /* @__PURE__ */ fromConfig()
