/**
 * What the API answers, declared once as JSON Schemas: the routes' response columns,
 * the OpenAPI document and the integration suite's response checks read these, and
 * the types of what handlers return are derived from them (`View<typeof X>`), so a
 * view that grows a field its schema lacks fails to type-check. A `title` names a
 * schema in the docs (and becomes a `$ref` in the OpenAPI document).
 */
import type { FromSchema, JSONSchema } from 'json-schema-to-ts'
import { PROJECT_SETTING_NAMES, SSH_CERTIFICATE_TYPES } from '../data/project-settings.js'

/** The TypeScript type of a view schema. */
export type View<S extends JSONSchema> = FromSchema<S>

const time = { type: 'string', format: 'date-time' } as const
const timeOrNull = { type: ['string', 'null'], format: 'date-time' } as const

export const FieldErrorView = {
  title: 'FieldError',
  type: 'object',
  additionalProperties: false,
  required: ['message', 'description'],
  properties: {
    message: { type: 'string' },
    description: { type: 'string', description: 'the field or parameter at fault' },
  },
} as const

export const ErrorBody = {
  title: 'Error',
  type: 'object',
  additionalProperties: false,
  required: ['code', 'message', 'errors'],
  properties: {
    code: { type: 'string', description: 'the machine code, e.g. invalid_request' },
    message: { type: 'string' },
    errors: {
      type: 'array',
      items: FieldErrorView,
      description: 'the fields at fault; empty when none (always present)',
    },
    requestId: { type: 'string', description: '5xx only: names the failure in the logs' },
  },
} as const

/** Extensions of a personal token (API.md, Scopes): what it may do, its meta, its budget. */
const scopeList = { type: 'array', items: { type: 'string' } } as const
const metaObject = { type: 'object', description: 'free-form JSON, at most 1 KB' } as const
const rateLimitObject = {
  type: 'object',
  additionalProperties: false,
  required: ['limit', 'windowSeconds'],
  properties: {
    limit: { type: 'integer', minimum: 1 },
    windowSeconds: { type: 'integer', minimum: 1 },
  },
} as const

export const AccessTokenView = {
  title: 'AccessToken',
  type: 'object',
  additionalProperties: false,
  required: [
    'id',
    'token',
    'name',
    'lastUsed',
    'dateCreated',
    'basicAuth',
    'expiresAt',
    'scopes',
    'meta',
    'rateLimit',
  ],
  properties: {
    id: { type: 'integer', minimum: 1 },
    token: { type: 'null' },
    name: { type: 'string' },
    lastUsed: timeOrNull,
    dateCreated: time,
    basicAuth: { type: 'null' },
    expiresAt: timeOrNull,
    scopes: {
      anyOf: [scopeList, { type: 'null' }],
      description: "null: everything the user's role allows",
    },
    meta: { anyOf: [metaObject, { type: 'null' }] },
    rateLimit: { anyOf: [rateLimitObject, { type: 'null' }] },
  },
} as const

export const AccessTokenList = {
  type: 'object',
  additionalProperties: false,
  required: ['tokens'],
  properties: { tokens: { type: 'array', items: AccessTokenView } },
} as const

export const CreatedAccessToken = {
  type: 'object',
  additionalProperties: false,
  required: ['accessKey', 'token'],
  properties: {
    accessKey: { type: 'string', description: 'the secret, shown only in this answer' },
    token: AccessTokenView,
  },
} as const

export const GrantView = {
  title: 'Grant',
  type: 'object',
  additionalProperties: false,
  required: ['token', 'tokenName', 'id', 'accountName', 'username', 'dateCreated'],
  properties: {
    token: { type: 'string', description: 'the secret, shown only in this answer' },
    tokenName: { type: 'string' },
    id: { type: 'integer', minimum: 1 },
    accountName: { type: 'string' },
    username: { type: 'string' },
    dateCreated: time,
    scopes: scopeList,
    meta: metaObject,
    rateLimit: rateLimitObject,
  },
} as const

export const ServiceTokenView = {
  title: 'ServiceToken',
  type: 'object',
  additionalProperties: false,
  required: ['bearer_token', 'expires_at', 'team_name'],
  properties: {
    bearer_token: { type: 'string', description: 'an ES256 JWT' },
    expires_at: time,
    team_name: { type: 'string' },
  },
} as const

export const JwksView = {
  title: 'JWKS',
  type: 'object',
  additionalProperties: false,
  required: ['keys'],
  properties: {
    keys: {
      type: 'array',
      items: {
        type: 'object',
        required: ['kty', 'kid'],
        properties: { kty: { type: 'string' }, kid: { type: 'string' } },
      },
    },
  },
} as const

const stringOrNull = { type: ['string', 'null'] } as const

/** ASA's project: what both Terraform providers read (oktapam needs `id` and `team`). */
export const ProjectView = {
  title: 'Project',
  type: 'object',
  additionalProperties: false,
  required: [
    'id',
    'name',
    'team',
    'team_name',
    'deleted_at',
    'created_at',
    ...PROJECT_SETTING_NAMES,
  ],
  properties: {
    id: { type: 'string', format: 'uuid', description: "stable for the project's life" },
    name: { type: 'string' },
    team: { type: 'string' },
    team_name: { type: 'string', description: 'the same as team, for older clients' },
    deleted_at: { type: 'null', description: 'always null: deleted projects are gone' },
    created_at: time,
    next_unix_uid: { type: 'integer' },
    next_unix_gid: { type: 'integer' },
    create_server_users: { type: 'boolean' },
    forward_traffic: { type: 'boolean' },
    require_preauth_for_creds: { type: 'boolean' },
    rdp_session_recording: { type: 'boolean' },
    ssh_session_recording: { type: 'boolean' },
    force_shared_ssh_users: { type: 'boolean' },
    gateway_selector: stringOrNull,
    ssh_certificate_type: { enum: [...SSH_CERTIFICATE_TYPES, null] },
    shared_admin_user_name: stringOrNull,
    shared_standard_user_name: stringOrNull,
    user_on_demand_period: { type: ['integer', 'null'] },
  },
} as const

export const ProjectList = {
  type: 'object',
  additionalProperties: false,
  required: ['list'],
  properties: { list: { type: 'array', items: ProjectView } },
} as const

export const EnrollmentTokenView = {
  title: 'ServerEnrollmentToken',
  type: 'object',
  additionalProperties: false,
  required: [
    'id',
    'token',
    'description',
    'created_by_user',
    'issued_at',
    'expires_at',
    'max_uses',
    'uses',
    'last_used_at',
  ],
  properties: {
    id: { type: 'string', format: 'uuid' },
    token: { type: 'string', description: 'base64 JSON with the secret `s` and base URL `u`' },
    description: { type: 'string' },
    created_by_user: { type: 'string' },
    issued_at: time,
    expires_at: timeOrNull,
    max_uses: { type: ['integer', 'null'] },
    uses: { type: 'integer', minimum: 0 },
    last_used_at: timeOrNull,
  },
} as const

export const EnrollmentTokenList = {
  type: 'object',
  additionalProperties: false,
  required: ['list'],
  properties: { list: { type: 'array', items: EnrollmentTokenView } },
} as const

export const ServerView = {
  title: 'Server',
  type: 'object',
  additionalProperties: false,
  required: [
    'id',
    'hostname',
    'os',
    'canonical_name',
    'project_name',
    'team_name',
    'enrollment_token_id',
    'registered_at',
    'last_seen',
    'instance_details',
    'cloud_provider',
    'cloud_account',
    'instance_id',
  ],
  properties: {
    id: { type: 'string', format: 'uuid' },
    hostname: { type: 'string' },
    os: { type: ['string', 'null'] },
    canonical_name: { type: ['string', 'null'] },
    project_name: { type: 'string' },
    team_name: { type: 'string' },
    enrollment_token_id: {
      type: ['string', 'null'],
      description: 'null when the server enrolled by cloud identity (aws_iam)',
    },
    registered_at: time,
    last_seen: timeOrNull,
    instance_details: { type: ['object', 'null'] },
    cloud_provider: { type: ['string', 'null'], enum: ['aws', null] },
    cloud_account: { type: ['string', 'null'], description: 'the AWS account id' },
    instance_id: {
      type: ['string', 'null'],
      description: 'the EC2 instance id, when the role session names one',
    },
  },
} as const

export const CloudAccountView = {
  title: 'CloudAccount',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'provider', 'account_id', 'role_arns', 'description', 'created_at'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    provider: { type: 'string', enum: ['aws'] },
    account_id: { type: 'string' },
    role_arns: { type: 'array', items: { type: 'string' } },
    description: { type: ['string', 'null'] },
    created_at: time,
  },
} as const

export const CloudAccountList = {
  type: 'object',
  additionalProperties: false,
  required: ['list'],
  properties: { list: { type: 'array', items: CloudAccountView } },
} as const

export const ServerList = {
  type: 'object',
  additionalProperties: false,
  required: ['list'],
  properties: { list: { type: 'array', items: ServerView } },
} as const

export const EnrolledServer = {
  type: 'object',
  additionalProperties: false,
  required: ['server', 'server_token'],
  properties: {
    server: ServerView,
    server_token: { type: 'string', description: 'the server token, shown only in this answer' },
  },
} as const

export const RotatedServerToken = {
  type: 'object',
  additionalProperties: false,
  required: ['server_token'],
  properties: {
    server_token: {
      type: 'string',
      description: "the server's new token, shown only in this answer",
    },
  },
} as const

export const TokenPolicyView = {
  title: 'TokenPolicy',
  type: 'object',
  additionalProperties: false,
  required: ['maxLifetimeDays', 'maxTokensPerUser', 'allowedScopes', 'inactiveDays'],
  properties: {
    maxLifetimeDays: {
      type: ['integer', 'null'],
      description: 'personal tokens must expire within this many days; null: no limit',
    },
    maxTokensPerUser: { type: 'integer', description: 'personal tokens one user may hold' },
    allowedScopes: {
      type: ['array', 'null'],
      items: { type: 'string' },
      description: "the only scopes members' tokens may hold; null: any their role allows",
    },
    inactiveDays: {
      type: ['integer', 'null'],
      description: 'tokens unused this long are revoked by the sweeper; null: never',
    },
  },
} as const

export const LeakFeedbackView = {
  type: 'array',
  items: {
    title: 'LeakFeedback',
    type: 'object',
    additionalProperties: false,
    required: ['token_hash', 'token_type', 'label'],
    properties: {
      token_hash: { type: 'string', description: 'SHA-256 of the reported token, in hex' },
      token_type: { type: 'string', description: 'the type GitHub reported' },
      label: {
        type: 'string',
        enum: ['true_positive', 'false_positive'],
        description: 'true_positive: the token worked until now, and is revoked',
      },
    },
  },
} as const

export const HealthView = {
  title: 'Health',
  type: 'object',
  additionalProperties: false,
  required: ['status', 'version'],
  properties: {
    status: { const: 'ok' },
    version: { type: 'string', description: "the service's version (package.json)" },
  },
} as const

export const OpenApiView = {
  title: 'OpenAPI',
  type: 'object',
  required: ['openapi', 'info', 'paths'],
  properties: { openapi: { type: 'string' }, info: { type: 'object' }, paths: { type: 'object' } },
} as const

/** Verify's answer (API.md, Verify): `token` only for a genuine token, `ratelimit` for a limited one. */
export const VerificationView = {
  title: 'Verification',
  type: 'object',
  additionalProperties: false,
  required: ['valid', 'code'],
  properties: {
    valid: { type: 'boolean' },
    code: {
      type: 'string',
      enum: ['VALID', 'NOT_FOUND', 'EXPIRED', 'REVOKED', 'INSUFFICIENT_SCOPE', 'RATE_LIMITED'],
    },
    token: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'kind', 'name', 'team', 'user', 'scopes', 'meta', 'expiresAt'],
      properties: {
        id: { type: 'string' },
        kind: { type: 'string', enum: ['personal', 'service', 'server'] },
        name: { type: ['string', 'null'] },
        team: { type: 'string' },
        user: { type: ['string', 'null'] },
        scopes: { anyOf: [scopeList, { type: 'null' }] },
        meta: { anyOf: [metaObject, { type: 'null' }] },
        expiresAt: timeOrNull,
        project: { type: 'string', description: 'server tokens: the project' },
        server: { type: 'string', description: 'server tokens: the server id' },
      },
    },
    ratelimit: {
      type: 'object',
      additionalProperties: false,
      required: ['limit', 'remaining', 'reset'],
      properties: {
        limit: { type: 'integer' },
        remaining: { type: 'integer' },
        reset: { type: 'integer', description: 'unix seconds' },
      },
    },
  },
} as const

export type AccessToken = View<typeof AccessTokenView>
export type Grant = View<typeof GrantView>
export type ServiceToken = View<typeof ServiceTokenView>
export type Project = View<typeof ProjectView>
export type ServerEnrollmentToken = View<typeof EnrollmentTokenView>
export type Server = View<typeof ServerView>
export type Enrolled = View<typeof EnrolledServer>
export type CloudAccount = View<typeof CloudAccountView>

/** A personal token in the admin's view of a team: metadata only, never a secret or meta. */
export const TeamTokenView = {
  title: 'TeamToken',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'user', 'name', 'scopes', 'created', 'lastUsed', 'expires'],
  properties: {
    id: { type: 'integer', minimum: 1, description: "the token's id among its user's tokens" },
    user: { type: 'string' },
    name: { type: 'string' },
    scopes: {
      anyOf: [scopeList, { type: 'null' }],
      description: "null: everything the user's role allows",
    },
    created: time,
    lastUsed: timeOrNull,
    expires: timeOrNull,
  },
} as const

export const TeamTokenList = {
  type: 'object',
  additionalProperties: false,
  required: ['list'],
  properties: { list: { type: 'array', items: TeamTokenView } },
} as const

/** A user as admins see them (never a password, its hash or anything secret). */
export const UserView = {
  title: 'User',
  type: 'object',
  additionalProperties: false,
  required: [
    'username',
    'role',
    'createdAt',
    'hasPassword',
    'mfaEnabled',
    'lockedOut',
    'lockedUntil',
  ],
  properties: {
    username: { type: 'string' },
    role: { enum: ['admin', 'member'] },
    createdAt: time,
    hasPassword: { type: 'boolean', description: 'false: the user signs in with tokens only' },
    mfaEnabled: {
      type: 'boolean',
      description: 'true: the password grant is refused; the user makes tokens with a token',
    },
    lockedOut: {
      type: 'boolean',
      description:
        'true: too many wrong passwords; the password grant answers 429 until lockedUntil',
    },
    lockedUntil: { ...timeOrNull, description: 'when the lockout ends; null when not locked out' },
  },
} as const

export const UserList = {
  type: 'object',
  additionalProperties: false,
  required: ['list'],
  properties: { list: { type: 'array', items: UserView } },
} as const

/** An event as published (EventBridge's envelope; a line of events.jsonl locally). */
export const EventView = {
  title: 'Event',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'source', 'detail-type', 'time', 'detail'],
  properties: {
    id: { type: 'string', description: "the change-stream record's id: stable across deliveries" },
    source: { const: 'latchkey' },
    'detail-type': { type: 'string', description: 'the event type, e.g. AccessTokenDeleted' },
    time,
    detail: {
      type: 'object',
      required: ['team', 'actor'],
      properties: { team: { type: 'string' }, actor: { type: 'string' } },
      description: 'ids, team, project, actor; never a secret or a hash',
    },
  },
} as const

export const AuditList = {
  type: 'object',
  additionalProperties: false,
  required: ['list'],
  properties: { list: { type: 'array', items: EventView } },
} as const

export type TeamToken = View<typeof TeamTokenView>
export type TeamUser = View<typeof UserView>
export type AuditEvent = View<typeof EventView>
export type TokenPolicyAnswer = View<typeof TokenPolicyView>
