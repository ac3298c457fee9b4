import { type Config, ConfigError } from '../config.js'
import { config } from '../context.js'
import { createKmsClient } from './kms-jwt-keys.js'
import { kmsSealer } from './kms-sealer.js'
import { localSealer } from './local-sealer.js'
import type { Sealer } from './sealer.js'

function fromConfig({ sealing, region }: Config): Sealer {
  if (sealing.kmsKeyId) return kmsSealer(createKmsClient(region), sealing.kmsKeyId)
  if (sealing.keyFile) return localSealer(sealing.keyFile)
  throw new ConfigError(
    'SEAL_KMS_KEY_ID',
    'or SEAL_KEY_FILE must be set (sealed enrollment tokens)',
  )
}

let built: { from: Config; sealer: Sealer } | undefined

/**
 * The sealer, chosen and checked once per process on first use, only in functions
 * that seal: a function that merely imports a module that imports this one bundles
 * no KMS client and checks no sealing configuration.
 */
export function sealer(): Sealer {
  const from = config()
  if (built?.from !== from) built = { from, sealer: fromConfig(from) }
  return built.sealer
}
