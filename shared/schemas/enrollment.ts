import { displayText, nameString } from './common.js'
import { type SafeJsonLimits, safeJsonObject } from './safe-json.js'

/** What an agent may say about its machine (README, Limits). */
export const INSTANCE_DETAILS_LIMITS: SafeJsonLimits = {
  maxDepth: 8,
  maxJsonLength: 8192,
  maxKeys: 64,
  maxItems: 64,
  maxStringLength: 1024,
  maxKeyLength: 128,
}

const uuid = {
  type: 'string',
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
  description: 'a lowercase UUID',
} as const

export const EnrollmentTokenPath = {
  $id: 'EnrollmentTokenPath',
  type: 'object',
  required: ['team', 'project', 'enrollmentTokenId'],
  properties: { team: nameString, project: nameString, enrollmentTokenId: uuid },
} as const

export const ServerPath = {
  $id: 'ServerPath',
  type: 'object',
  required: ['team', 'project', 'serverId'],
  properties: { team: nameString, project: nameString, serverId: uuid },
} as const

export const CreateEnrollmentTokenBody = {
  $id: 'CreateEnrollmentTokenBody',
  type: 'object',
  additionalProperties: false,
  required: ['description'],
  properties: {
    description: displayText(255),
    /** Extension: the token stops working this many seconds after issue (1 minute to 1 year). */
    expires_in_seconds: { type: 'integer', minimum: 60, maximum: 31_536_000 },
    /** Extension: how many servers may enroll with it. */
    max_uses: { type: 'integer', minimum: 1, maximum: 1_000_000 },
  },
} as const

export const EnrollServerBody = {
  $id: 'EnrollServerBody',
  type: 'object',
  additionalProperties: false,
  required: ['hostname'],
  properties: {
    hostname: displayText(253),
    os: displayText(128),
    canonical_name: displayText(253),
    instance_details: safeJsonObject('InstanceDetails', INSTANCE_DETAILS_LIMITS),
    /**
     * Extension (secretless enrollment): a SigV4-signed sts:GetCallerIdentity request,
     * sent instead of an enrollment token. Its content is checked by the domain, which
     * answers any refusal with the enrollment 401.
     */
    aws_iam: {
      type: 'object',
      additionalProperties: false,
      required: ['method', 'url', 'headers', 'body'],
      properties: {
        method: { type: 'string', maxLength: 16 },
        url: { type: 'string', maxLength: 256 },
        headers: {
          type: 'object',
          maxProperties: 32,
          additionalProperties: { type: 'string', maxLength: 4096 },
        },
        body: { type: 'string', maxLength: 1024 },
      },
    },
  },
} as const
