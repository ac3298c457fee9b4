import { createPublicKey } from 'node:crypto'

/**
 * Configuration, read and checked once per cold start. A missing or malformed
 * variable fails the module load with the variable's name, not a later request.
 */
export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`Configuration: ${variable} ${problem}`)
    this.name = 'ConfigError'
  }
}

export interface Config {
  tableName: string
  region: string
  /** Set to use DynamoDB Local or another endpoint instead of AWS's. */
  dynamoEndpoint: string | undefined
  /** With an endpoint: the static credentials to sign with (DynamoDB Local takes any). */
  localCredentials: { accessKeyId: string; secretAccessKey: string }
  /** Service-token keys: a local key file, or a KMS key (plus retired ones still verifying). */
  jwt: {
    keyFile: string | undefined
    kmsKeyId: string | undefined
    previousKmsKeyIds: string[]
    issuer: string
  }
  /** Sealing of secrets shown again (enrollment tokens): a local key file, or a KMS key. */
  sealing: {
    keyFile: string | undefined
    kmsKeyId: string | undefined
  }
  /** The service's public base URL for enrollment tokens; else taken from each request. */
  baseUrl: string | undefined
  /**
   * Tests and local use only: where signed sts:GetCallerIdentity requests are sent
   * instead of the AWS endpoint they name (a local STS stand-in). Loopback only, so a
   * misconfigured deployment can't send agents' signed requests anywhere else.
   */
  stsEndpoint: string | undefined
  /** How long the audit trail keeps each event (days; DynamoDB's TTL removes it after). */
  auditRetentionDays: number
  /**
   * GitHub's secret-scanning public keys, by identifier (PEM, ECDSA P-256), that sign
   * leak reports; none configured: every report is refused.
   */
  secretScanningKeys: ReadonlyMap<string, string>
}

const SCANNING_KEYS = 'GITHUB_SECRET_SCANNING_KEYS'

/**
 * `GITHUB_SECRET_SCANNING_KEYS`: GitHub's published key list as it serves it
 * (`{"public_keys": [{"key_identifier", "key", ...}]}`) or just its array. Each key
 * must be an ECDSA P-256 public key in PEM.
 */
function readScanningKeys(text: string | undefined): Map<string, string> {
  const keys = new Map<string, string>()
  if (!text) return keys
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new ConfigError(SCANNING_KEYS, 'is not JSON')
  }
  const list = Array.isArray(parsed)
    ? parsed
    : (parsed as { public_keys?: unknown } | null)?.public_keys
  if (!Array.isArray(list)) throw new ConfigError(SCANNING_KEYS, 'has no public_keys list')
  for (const entry of list) {
    const { key_identifier: id, key } = (entry ?? {}) as Record<string, unknown>
    if (typeof id !== 'string' || !id || typeof key !== 'string')
      throw new ConfigError(SCANNING_KEYS, 'has an entry without key_identifier and key')
    if (!isP256PublicKey(key))
      throw new ConfigError(SCANNING_KEYS, `key ${id} is not an ECDSA P-256 public key in PEM`)
    keys.set(id, key)
  }
  return keys
}

function isP256PublicKey(pem: string): boolean {
  try {
    const key = createPublicKey(pem)
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'
  } catch {
    return false
  }
}

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/

/** The configuration an environment describes (the process's, or one a caller assembles). */
export function readConfig(env: NodeJS.ProcessEnv): Config {
  const tableName = env.TABLE_NAME
  if (!tableName) throw new ConfigError('TABLE_NAME', 'is not set')
  if (!TABLE_NAME.test(tableName)) throw new ConfigError('TABLE_NAME', 'is not a valid table name')
  const dynamoEndpoint = env.DYNAMODB_ENDPOINT || undefined
  if (dynamoEndpoint && !URL.canParse(dynamoEndpoint)) {
    throw new ConfigError('DYNAMODB_ENDPOINT', 'is not a URL')
  }
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || (dynamoEndpoint ? 'local' : undefined)
  if (!region) throw new ConfigError('AWS_REGION', 'is not set')
  const jwt = {
    keyFile: env.JWT_KEY_FILE || undefined,
    kmsKeyId: env.JWT_KMS_KEY_ID || undefined,
    previousKmsKeyIds: (env.JWT_KMS_PREVIOUS_KEY_IDS ?? '').split(',').filter(Boolean),
    issuer: env.LATCHKEY_ISSUER || 'latchkey',
  }
  const sealing = {
    keyFile: env.SEAL_KEY_FILE || undefined,
    kmsKeyId: env.SEAL_KMS_KEY_ID || undefined,
  }
  const baseUrl = env.LATCHKEY_BASE_URL || undefined
  if (baseUrl && !/^https?:\/\/[^/]+$/.test(baseUrl))
    throw new ConfigError('LATCHKEY_BASE_URL', 'must be like https://host (no path, no slash)')
  const stsEndpoint = env.LATCHKEY_STS_ENDPOINT || undefined
  if (stsEndpoint && !/^http:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d{1,5}$/.test(stsEndpoint))
    throw new ConfigError(
      'LATCHKEY_STS_ENDPOINT',
      'must be a loopback URL like http://127.0.0.1:4566 (tests and local use only)',
    )
  const localCredentials = {
    accessKeyId: env.AWS_ACCESS_KEY_ID || 'local',
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY || 'local',
  }
  const retention = env.LATCHKEY_AUDIT_RETENTION_DAYS || '400'
  if (!/^[1-9][0-9]{0,4}$/.test(retention))
    throw new ConfigError('LATCHKEY_AUDIT_RETENTION_DAYS', 'must be a whole number of days')
  const auditRetentionDays = Number(retention)
  const secretScanningKeys = readScanningKeys(env[SCANNING_KEYS])
  return {
    tableName,
    region,
    dynamoEndpoint,
    localCredentials,
    jwt,
    sealing,
    baseUrl,
    stsEndpoint,
    auditRetentionDays,
    secretScanningKeys,
  }
}
