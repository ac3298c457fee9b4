import { MAX_SCOPES, SCOPE_PATTERN_SOURCE } from '../names.js'
import { displayText, positiveIntegerString } from './common.js'
import { type SafeJsonLimits, safeJsonObject } from './safe-json.js'

export const scopeString = {
  type: 'string',
  pattern: SCOPE_PATTERN_SOURCE,
  description:
    "1 to 100 lowercase letters, digits, '_', '.', ':', '/' or '-', starting with a letter or digit",
} as const

/** `meta` (API.md): a safe JSON object of at most 1 KB, kept and handed back, never read. */
export const META_LIMITS: SafeJsonLimits = {
  maxDepth: 8,
  maxJsonLength: 1024,
  maxKeys: 64,
  maxItems: 64,
  maxStringLength: 1024,
  maxKeyLength: 128,
}

/**
 * Extensions every way of making a personal token accepts (API.md, Scopes): what it
 * may do, free-form metadata for verify to hand back, and a request budget. `metaId`
 * names the meta schema, a resource of its own, once per request schema.
 */
export const tokenExtensions = (metaId: string) => ({
  scopes: { type: 'array', maxItems: MAX_SCOPES, items: scopeString } as const,
  meta: safeJsonObject(metaId, META_LIMITS),
  rateLimit: {
    type: 'object',
    additionalProperties: false,
    required: ['limit', 'windowSeconds'],
    properties: {
      limit: { type: 'integer', minimum: 1, maximum: 1_000_000 },
      windowSeconds: { type: 'integer', minimum: 1, maximum: 86_400 },
    },
  } as const,
})

export const CreateAccessTokenBody = {
  $id: 'CreateAccessTokenBody',
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: displayText(50),
    expiresInDays: { type: 'integer', minimum: 1, maximum: 3650 },
    ...tokenExtensions('TokenMeta'),
  },
} as const

export const AccessTokenPath = {
  $id: 'AccessTokenPath',
  type: 'object',
  required: ['tokenId'],
  properties: { tokenId: positiveIntegerString },
} as const

/** Verify: the token to check, and the scopes it must hold. */
export const VerifyTokenBody = {
  $id: 'VerifyTokenBody',
  type: 'object',
  additionalProperties: false,
  required: ['token'],
  properties: {
    token: { type: 'string', minLength: 1, maxLength: 4096 },
    scopes: { type: 'array', maxItems: MAX_SCOPES, items: scopeString },
  },
} as const

/** Rotation (API.md, Rotation): how long the old secret keeps working, 0 to 30 days. */
export const RotateTokenBody = {
  $id: 'RotateTokenBody',
  type: 'object',
  additionalProperties: false,
  properties: {
    expireOldInSeconds: { type: 'integer', minimum: 0, maximum: 2_592_000 },
  },
} as const

const daysOrNull = { type: ['integer', 'null'], minimum: 1, maximum: 3650 } as const

/**
 * A team's token policy (API.md, Team token policy). PUT replaces it whole: a field
 * left out takes its default (no limit; 1,000 tokens per user).
 */
export const TokenPolicyBody = {
  $id: 'TokenPolicyBody',
  type: 'object',
  additionalProperties: false,
  properties: {
    maxLifetimeDays: daysOrNull,
    maxTokensPerUser: { type: 'integer', minimum: 1, maximum: 1000 },
    allowedScopes: {
      type: ['array', 'null'],
      maxItems: MAX_SCOPES,
      uniqueItems: true,
      items: scopeString,
    },
    inactiveDays: daysOrNull,
  },
} as const
