import type { JSONSchema } from 'json-schema-to-ts'
import type { Access } from './auth/policy.js'
import type { BuiltInScope } from './auth/scopes.js'
import type { ErrorCode } from './errors.js'
import type { Compiled } from './schemas/validator.js'
import {
  AccessTokenPath,
  AuditQuery,
  CloudAccountPath,
  CreateAccessTokenBody,
  CreateCloudAccountBody,
  CreateEnrollmentTokenBody,
  CreateProjectBody,
  CreateServiceTokenBody,
  EnrollmentTokenPath,
  EnrollServerBody,
  LeakReportBody,
  PageQuery,
  ProjectListQuery,
  ProjectPath,
  RotateTokenBody,
  ServerPath,
  TeamPath,
  TeamTokensQuery,
  TeamUserTokenPath,
  TokenGrantBody,
  TokenGrantQuery,
  TokenPolicyBody,
  UpdateProjectBody,
  VerifyTokenBody,
} from './schemas/validators.gen.js'
import {
  AccessTokenList,
  AuditList,
  CloudAccountList,
  CloudAccountView,
  CreatedAccessToken,
  EnrolledServer,
  EnrollmentTokenList,
  EnrollmentTokenView,
  GrantView,
  HealthView,
  JwksView,
  LeakFeedbackView,
  OpenApiView,
  ProjectList,
  ProjectView,
  RotatedServerToken,
  ServerList,
  ServerView,
  ServiceTokenView,
  TeamTokenList,
  TokenPolicyView,
  UserList,
  VerificationView,
} from './schemas/views.js'

/**
 * The route table: the single source for the local server, the CDK stack and the
 * API docs. A row names its handler module (`functions/<handler>.ts`, export
 * `handler`), who may call it, and the schemas of its input with their precompiled
 * validators. Besides those pure functions it is data, so infrastructure code can
 * import it without pulling in runtime code.
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/**
 * `enrollment`: a server enrollment token for the project in the path (the agent
 * enrolling); `server`: an enrolled server's own token, for the server in the path.
 * `user`: a personal access token (`Authorization: Bearer` or `?token=`) or a service
 * bearer token (a JWT, `Authorization: Bearer`). `optional`: the same when one is
 * presented (a bad one is still 401), no caller otherwise (Server Density's
 * `/tokens`, where a password may stand in for it). `github`: GitHub's secret
 * scanning, by its signature of the raw body with a configured key.
 */
export type AuthKind = 'none' | UserAuth | AgentAuth | 'github'
/** Who calls the people-facing routes with a credential: a user, by token. */
export type UserAuth = 'user' | 'optional'
/** Who calls the agent routes: a server enrolling, or an enrolled server. */
export type AgentAuth = 'enrollment' | 'server'

export type BodyType = 'json' | 'form'

/**
 * DynamoDB actions, as IAM names them; the CDK stack grants each function exactly these.
 * `QueryIndex` is `Query` on the secondary index (tableSchema.index), granted on the
 * index's ARN only.
 */
export type TableAction =
  | 'GetItem'
  | 'BatchGetItem'
  | 'Query'
  | 'QueryIndex'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'ConditionCheckItem'
  | 'BatchWriteItem'
  /** Only the sweeper's one-off index migration, bounded per run (domain/index-migration.ts). */
  | 'Scan'
  | 'BatchGetItem'

/** What authenticating each kind of caller costs in table access. */
export const authTableActions: Record<AuthKind, readonly TableAction[]> = {
  none: [],
  // A personal token and its revocation mark (one BatchGetItem), the published service
  // keys (AWS), lastUsed.
  user: ['BatchGetItem', 'GetItem', 'UpdateItem'],
  optional: ['BatchGetItem', 'GetItem', 'UpdateItem'],
  enrollment: [], // a claim: the enrollment's transaction proves it
  server: ['GetItem'], // the server, or its deletion record
  github: [], // a signature check
}

/** Uses of the service-token signing key (a KMS key on AWS). */
export type KeyUse = 'sign' | 'publicKeys'

/**
 * What authorising each kind of team access costs beyond authentication: nothing, as a
 * personal token's user (the role) is read in its BatchGetItem (authenticate.ts).
 */
export const accessTableActions: Record<Access, readonly TableAction[]> = {
  read: [],
  manage: [],
}

/** Uses of the sealing key (KMS on AWS): sealing new secrets, opening stored ones. */
export type SealUse = 'seal' | 'open'

export type SuccessStatus = 200 | 201 | 204

/**
 * Headers an answer may carry beyond those every answer has (`X-Request-Id`,
 * `Content-Type`): `link` where a row declares it; the rate-limit trio wherever
 * `headersOf` implies it.
 */
export type ResponseHeader = 'link' | RateLimitHeader

/** A rate-limited personal token's place in its window, on every answer it gets (ASA's names). */
export type RateLimitHeader = 'x-ratelimit-limit' | 'x-ratelimit-remaining' | 'x-ratelimit-reset'
export const rateLimitHeaderNames: readonly RateLimitHeader[] = [
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
]

export type ErrorHeader = 'www-authenticate' | 'allow' | 'retry-after' | 'x-ratelimit-retry-at'

/**
 * The headers every answer of an error code carries, whatever the route (shared/http/errors.ts
 * sends them). A 429's two say the same moment: `retry-after` in seconds (RFC 9110), and
 * `x-ratelimit-retry-at` in unix seconds, the one okta/terraform-provider-oktapam reads.
 */
export const errorHeadersOf: Readonly<Partial<Record<ErrorCode, readonly ErrorHeader[]>>> = {
  authentication_error: ['www-authenticate'],
  server_authorization_revoked: ['www-authenticate'],
  method_not_allowed: ['allow'],
  too_many_requests: ['retry-after', 'x-ratelimit-retry-at'],
  service_offline: ['retry-after'],
}

export interface ResponseSpec {
  /** The body's JSON Schema (shared/schemas/views.ts); none for 204. */
  body?: JSONSchema
  headers?: readonly ResponseHeader[]
  description: string
}

export type CachePolicy = 'no-store' | 'public, max-age=300'

/**
 * A route's DynamoDB calls, per request, by path: the whole request's count, its
 * authentication included (a service token's costs none, a personal token's one
 * GetItem), for one page where it pages. Exact: the unit tests, the bench (which
 * measures every path of every row) and the README's table read these.
 */
export type CallBudget = Readonly<Record<string, number>>

/**
 * What authentication adds on any route, beyond a path's count: a personal token's
 * `lastUsed` write (at most once a minute per token, alongside the handler) and, for
 * a token with a rate limit, its window's count (before the handler).
 */
export const personalTokenExtraCalls = { lastUsedDue: 1, rateLimited: 1 } as const

/** Calls before any route's work: a malformed or bad-checksum token none, a forged one its GetItem. */
export const refusedCredentialCalls = { garbage: 0, forged: 1 } as const

/** The authorizer (users' own APIs): as verify's personal token, and none for a cached answer. */
export const authorizerCalls = { first: 1, cached: 0 } as const

export interface RouteSpec {
  method: HttpMethod
  path: string
  handler: string
  auth: AuthKind
  /** For `/v1/teams/{team}/...` routes: the caller must be of `{team}`, with this access. */
  access?: Access
  /**
   * The built-in scope a scoped credential needs here (auth/scopes.ts), checked with
   * the role: every route a user calls has one.
   */
  scope?: BuiltInScope
  summary: string
  /** Every success answer, by status: its body's schema (a view) and its headers. */
  responses: Partial<Record<SuccessStatus, ResponseSpec>>
  /**
   * The error codes this route answers beyond those its other columns imply
   * (`errorsOf` adds those: bad input, bad credentials, foreign team, role, outage).
   */
  errors: readonly ErrorCode[]
  /** `Cache-Control` of its answers: `no-store` for any answer that holds a secret. */
  cache?: CachePolicy
  /** Request schemas with their validators, compiled ahead of time (shared/schemas). */
  body?: Compiled
  params?: Compiled
  query?: Compiled
  /** The body may be absent (its fields can come from the query instead). */
  optionalBody?: boolean
  /** The largest body accepted, in bytes; 64 KB when not given. */
  maxBodyBytes?: number
  /** Body encodings accepted; JSON when not given. */
  bodyTypes?: readonly BodyType[]
  /**
   * `ownTokens`: a personal token is looked up with the first page of its owner's
   * tokens (one Query instead of the lookup's BatchGetItem), which the handler lists
   * from. Authentication decides exactly as otherwise, on the same item.
   */
  authReads?: 'ownTokens'
  /** Table actions the handler needs beyond authentication (least privilege on AWS). */
  table: readonly TableAction[]
  /** Uses of the service-token key beyond authentication. */
  keys?: readonly KeyUse[]
  /** Uses of the sealing key. */
  seal?: readonly SealUse[]
  /** DynamoDB calls per request, by path (required: a new row states its cost). */
  calls: CallBudget
  /** What the calls grow with, when they do (pages, items). */
  callsGrow?: string
}

export const listAccessTokens = {
  method: 'GET',
  path: '/api/tokens',
  handler: 'tokens/list',
  auth: 'user',
  scope: 'tokens:read',
  summary: "Lists the caller's personal access tokens, by id.",
  responses: {
    200: {
      body: AccessTokenList,
      // Bounded by creates (shared/domain/access-tokens.ts), under Lambda's 6 MB.
      description: 'All of them, ordered by id: at most 1,000 and 5 MB',
    },
  },
  errors: [],
  authReads: 'ownTokens', // with a personal token, one Query authenticates and lists
  table: ['Query'],
  calls: { 'personal token': 1, 'service token': 1 },
  callsGrow: '1 Query per 1 MB page',
} as const satisfies RouteSpec

export const createAccessToken = {
  method: 'POST',
  path: '/api/tokens',
  handler: 'tokens/create',
  auth: 'user',
  scope: 'tokens:write',
  summary: 'Creates a personal access token; its secret is shown only in this answer.',
  responses: {
    200: { body: CreatedAccessToken, description: 'The token; its secret is shown only here' },
  },
  errors: ['resource_already_exists', 'quota_exceeded'],
  cache: 'no-store',
  body: CreateAccessTokenBody,
  // the policy; the next id; the token, its name guard, and the user's count (whose
  // condition checks the revocation mark's mirror); a recount (Query) only when full
  table: ['GetItem', 'UpdateItem', 'PutItem', 'Query'],
  calls: { 'personal token': 4, 'service token': 3 },
  callsGrow:
    "refused by the user's count item: 1 GetItem and 1 Query per 1 MB page of their tokens (+ 1 UpdateItem and a second transaction when expiry's TTL left it off)",
} as const satisfies RouteSpec

export const deleteAllAccessTokens = {
  method: 'DELETE',
  path: '/api/tokens/delete-all',
  handler: 'tokens/delete-all',
  auth: 'user',
  scope: 'tokens:write',
  summary:
    'Deletes every personal access token of the caller, the one in use included: all stop working at once.',
  responses: { 204: { description: 'Deleted (also when there were none)' } },
  errors: [],
  // the highest id (Query), then one transaction: the revocation mark (PutItem), its
  // mirror and the token count set to 0 on the user item (UpdateItem)
  table: ['Query', 'PutItem', 'UpdateItem'],
  calls: { 'personal token, its only token': 3 },
} as const satisfies RouteSpec

export const deleteAccessToken = {
  method: 'DELETE',
  path: '/api/tokens/{tokenId}',
  handler: 'tokens/delete',
  auth: 'user',
  scope: 'tokens:write',
  summary: "Deletes one of the caller's personal access tokens.",
  responses: { 204: { description: 'Deleted' } },
  errors: ['resource_does_not_exist'],
  params: AccessTokenPath,
  table: ['GetItem', 'DeleteItem'],
  calls: { 'personal token': 3 },
} as const satisfies RouteSpec

export const rotateAccessToken = {
  method: 'POST',
  path: '/api/tokens/{tokenId}/rotate',
  handler: 'tokens/rotate',
  auth: 'user',
  scope: 'tokens:write',
  summary:
    "Gives one of the caller's tokens a new secret (shown only in this answer); the old one works `expireOldInSeconds` more (default 0).",
  responses: {
    200: {
      body: CreatedAccessToken,
      description: 'The token, unchanged but for its secret, shown only here',
    },
  },
  errors: ['resource_does_not_exist'],
  cache: 'no-store',
  params: AccessTokenPath,
  body: RotateTokenBody,
  optionalBody: true,
  table: ['BatchGetItem', 'UpdateItem'], // the token with its revocation mark; the rotation
  calls: { 'personal token': 3, 'service token': 2 },
} as const satisfies RouteSpec

export const createTokenByGrant = {
  method: 'POST',
  path: '/tokens',
  handler: 'grants/create',
  auth: 'optional',
  scope: 'tokens:write',
  summary:
    'Server Density: creates a personal access token by password (username, password, accountName) or by an existing token (?token= or Bearer).',
  responses: { 200: { body: GrantView, description: 'The token; its secret is shown only here' } },
  errors: ['resource_already_exists', 'mfa_required', 'too_many_requests', 'quota_exceeded'],
  cache: 'no-store',
  body: TokenGrantBody,
  optionalBody: true,
  bodyTypes: ['json', 'form'],
  query: TokenGrantQuery,
  // the user and its sign-in failures; the policy; the token id; the token, its name
  // guard and the user's count, checked against the revocation mark's mirror; a recount
  // (Query) only when the count is full
  table: ['GetItem', 'UpdateItem', 'PutItem', 'DeleteItem', 'Query'],
  // a wrong password inside an open attempt window; opening one adds a PutItem
  calls: { password: 6, 'wrong password': 2, 'personal token': 4 },
} as const satisfies RouteSpec

export const deleteTokenByGrant = {
  method: 'DELETE',
  path: '/tokens/{tokenId}',
  handler: 'grants/delete',
  auth: 'user',
  scope: 'tokens:write',
  summary: "Server Density: deletes one of the caller's personal access tokens.",
  responses: { 204: { description: 'Deleted' } },
  errors: ['resource_does_not_exist'],
  params: AccessTokenPath,
  table: ['GetItem', 'DeleteItem'],
  calls: { 'personal token': 3 },
} as const satisfies RouteSpec

export const createServiceToken = {
  method: 'POST',
  path: '/v1/teams/{team}/service_token',
  handler: 'auth/service-token',
  auth: 'none',
  summary:
    'Exchanges a personal access token (key_secret, its id as key_id) for a one-hour service bearer token.',
  responses: { 200: { body: ServiceTokenView, description: 'A one-hour service bearer token' } },
  errors: ['authentication_error'],
  cache: 'no-store',
  params: TeamPath,
  body: CreateServiceTokenBody,
  // the personal token and its revocation mark, its lastUsed, the user's role; publishing
  // the verification keys
  table: ['BatchGetItem', 'GetItem', 'UpdateItem', 'PutItem'],
  // signing; reading the public halves it publishes (verifiers read them from the table)
  keys: ['sign', 'publicKeys'],
  calls: { ok: 2 },
} as const satisfies RouteSpec

export const jwks = {
  method: 'GET',
  path: '/.well-known/jwks.json',
  handler: 'auth/jwks',
  auth: 'none',
  summary: 'The public keys that verify service bearer tokens.',
  responses: { 200: { body: JwksView, description: 'The verification keys' } },
  errors: [],
  cache: 'public, max-age=300',
  table: ['GetItem'], // the published keys (AWS); the key file locally
  calls: { ok: 0 },
} as const satisfies RouteSpec

export const openApi = {
  method: 'GET',
  path: '/openapi.json',
  handler: 'docs/openapi',
  auth: 'none',
  summary: 'This API as an OpenAPI 3.1 document, generated from the route table.',
  responses: { 200: { body: OpenApiView, description: 'The OpenAPI document' } },
  errors: [],
  cache: 'public, max-age=300',
  table: [],
  calls: { ok: 0 },
} as const satisfies RouteSpec

export const health = {
  method: 'GET',
  path: '/healthz',
  handler: 'health/check',
  auth: 'none',
  summary: 'For load balancers and scripts: the service answers, and its version.',
  responses: { 200: { body: HealthView, description: 'Status and version' } },
  errors: [],
  cache: 'no-store',
  table: [], // none: it must answer whatever the table's state
  calls: { ok: 0 },
} as const satisfies RouteSpec

export const verifyToken = {
  method: 'POST',
  path: '/v1/teams/{team}/tokens/verify',
  handler: 'tokens/verify',
  auth: 'user',
  access: 'read',
  scope: 'tokens:verify',
  summary:
    "Verifies a personal, service or server token of the team for the user's own services; the outcome is in the body.",
  responses: {
    200: {
      body: VerificationView,
      description:
        'The outcome: `VALID`, `NOT_FOUND`, `EXPIRED`, `REVOKED`, `INSUFFICIENT_SCOPE` or `RATE_LIMITED`',
    },
  },
  errors: [],
  cache: 'no-store',
  params: TeamPath,
  body: VerifyTokenBody,
  // the token (personal; or server with its project, and its deletion record); its rate limit and lastUsed
  table: ['GetItem', 'BatchGetItem', 'UpdateItem'],
  calls: {
    garbage: 0,
    'personal token': 1,
    'service token': 0,
    'server token': 1,
    "deleted server's token": 2,
  },
} as const satisfies RouteSpec

export const listProjects = {
  method: 'GET',
  path: '/v1/teams/{team}/projects',
  handler: 'projects/list',
  auth: 'user',
  access: 'read',
  scope: 'projects:read',
  summary:
    "Lists the team's projects by name, a page at a time; `contains` filters by name, `descending` reverses, `prev` pages back.",
  responses: {
    200: {
      body: ProjectList,
      headers: ['link'],
      description:
        'A page of projects; `Link` to the next (and, after the first, the previous) page',
    },
  },
  errors: [],
  params: TeamPath,
  query: ProjectListQuery,
  table: ['Query'],
  // a personal token: its BatchGetItem with its user's item (the role is the user's now), the Query
  calls: { 'service token': 1, 'personal token': 2, "another team's": 0 },
  callsGrow: '1 Query per page; `?contains=` at most 5',
} as const satisfies RouteSpec

export const createProject = {
  method: 'POST',
  path: '/v1/teams/{team}/projects',
  handler: 'projects/create',
  auth: 'user',
  access: 'manage',
  scope: 'projects:write',
  summary: 'Creates a project with any of its ASA settings (admins).',
  responses: { 201: { body: ProjectView, description: 'The project, with every setting' } },
  errors: ['resource_already_exists'],
  params: TeamPath,
  body: CreateProjectBody,
  // the conditional put; over a name being deleted, that deletion finished first as its
  // cascade does (steps: Query, GetItem of the mark, BatchWriteItem of records and
  // deletes; then one transaction: the project's delete and record), then the put again;
  // or, out of time over a mark an older DELETE left, its cascade asked for
  table: ['PutItem', 'Query', 'GetItem', 'BatchWriteItem', 'DeleteItem', 'UpdateItem'],
  calls: {
    'service token': 1,
    'personal token': 2,
    'name being deleted': 4,
    'name being deleted, 120 children left': 15,
    "an older DELETE's mark, 50 children left": 9,
  },
  callsGrow:
    'over a name being deleted: +1 Query and +1 GetItem per 1,000 old children, +2 BatchWriteItem per 25',
} as const satisfies RouteSpec

export const getProject = {
  method: 'GET',
  path: '/v1/teams/{team}/projects/{project}',
  handler: 'projects/get',
  auth: 'user',
  access: 'read',
  scope: 'projects:read',
  summary: 'Fetches one project.',
  responses: { 200: { body: ProjectView, description: 'The project' } },
  errors: ['resource_does_not_exist'],
  params: ProjectPath,
  table: ['GetItem'],
  calls: { 'service token': 1 },
} as const satisfies RouteSpec

export const updateProject = {
  method: 'PUT',
  path: '/v1/teams/{team}/projects/{project}',
  handler: 'projects/update',
  auth: 'user',
  access: 'manage',
  scope: 'projects:write',
  summary: 'Changes the settings it names (admins); the name may be repeated, not changed.',
  responses: { 204: { description: 'Changed (or already so)' } },
  errors: ['resource_does_not_exist'],
  params: ProjectPath,
  body: UpdateProjectBody,
  // read the project; write the changed settings conditionally
  table: ['GetItem', 'UpdateItem'],
  calls: { 'service token': 2, unchanged: 1 },
} as const satisfies RouteSpec

export const deleteProject = {
  method: 'DELETE',
  path: '/v1/teams/{team}/projects/{project}',
  handler: 'projects/delete',
  auth: 'user',
  access: 'manage',
  scope: 'projects:write',
  summary:
    'Deletes a project with its enrollment tokens, servers and cloud accounts (admins): gone at once, removed from the change stream after.',
  responses: {
    204: { description: 'Deleted, with its enrollment tokens, servers and cloud accounts' },
  },
  errors: ['resource_does_not_exist'],
  params: ProjectPath,
  // one conditional write of its deletion mark; the children go from the change stream
  table: ['UpdateItem'],
  calls: { 'service token': 1 },
} as const satisfies RouteSpec

export const listEnrollmentTokens = {
  method: 'GET',
  path: '/v1/teams/{team}/projects/{project}/server_enrollment_tokens',
  handler: 'enrollment-tokens/list',
  auth: 'user',
  access: 'read',
  scope: 'enrollment:read',
  summary: "Lists a project's server enrollment tokens (with their token values), oldest first.",
  responses: {
    200: {
      body: EnrollmentTokenList,
      headers: ['link'],
      description: 'A page of tokens, oldest first',
    },
  },
  errors: ['resource_does_not_exist'],
  cache: 'no-store',
  params: ProjectPath,
  query: PageQuery,
  table: ['Query', 'GetItem'], // the page and, beside it, the project (404 if being deleted)
  seal: ['open'],
  calls: { 'service token': 2, 'empty page': 2 },
  callsGrow: '1 Query per page',
} as const satisfies RouteSpec

export const createEnrollmentToken = {
  method: 'POST',
  path: '/v1/teams/{team}/projects/{project}/server_enrollment_tokens',
  handler: 'enrollment-tokens/create',
  auth: 'user',
  access: 'manage',
  scope: 'enrollment:write',
  summary: 'Creates a server enrollment token (admins); stored sealed and hashed.',
  responses: { 201: { body: EnrollmentTokenView, description: 'The token' } },
  errors: ['resource_does_not_exist'],
  cache: 'no-store',
  params: ProjectPath,
  body: CreateEnrollmentTokenBody,
  table: ['PutItem', 'ConditionCheckItem'],
  seal: ['seal'],
  calls: { 'service token': 1 },
} as const satisfies RouteSpec

export const getEnrollmentToken = {
  method: 'GET',
  path: '/v1/teams/{team}/projects/{project}/server_enrollment_tokens/{enrollmentTokenId}',
  handler: 'enrollment-tokens/get',
  auth: 'user',
  access: 'read',
  scope: 'enrollment:read',
  summary: 'Fetches a server enrollment token, its token value included (as ASA does).',
  responses: {
    200: { body: EnrollmentTokenView, description: 'The token, its value included again' },
  },
  errors: ['resource_does_not_exist'],
  cache: 'no-store',
  params: EnrollmentTokenPath,
  table: ['BatchGetItem'], // the token and its project
  seal: ['open'],
  calls: { 'service token': 1 },
} as const satisfies RouteSpec

export const deleteEnrollmentToken = {
  method: 'DELETE',
  path: '/v1/teams/{team}/projects/{project}/server_enrollment_tokens/{enrollmentTokenId}',
  handler: 'enrollment-tokens/delete',
  auth: 'user',
  access: 'manage',
  scope: 'enrollment:write',
  summary: 'Deletes a server enrollment token (admins); enrolled servers stay.',
  responses: { 204: { description: 'Deleted; enrolled servers stay' } },
  errors: ['resource_does_not_exist'],
  params: EnrollmentTokenPath,
  table: ['DeleteItem', 'PutItem', 'ConditionCheckItem'], // the token; its deletion record; the project open
  calls: { 'service token': 1 },
} as const satisfies RouteSpec

export const rotateEnrollmentToken = {
  method: 'POST',
  path: '/v1/teams/{team}/projects/{project}/server_enrollment_tokens/{enrollmentTokenId}/rotate',
  handler: 'enrollment-tokens/rotate',
  auth: 'user',
  access: 'manage',
  scope: 'enrollment:write',
  summary:
    'Gives a server enrollment token a new value (admins); the old one enrolls `expireOldInSeconds` more (default 0).',
  responses: { 200: { body: EnrollmentTokenView, description: 'The token with its new value' } },
  errors: ['resource_does_not_exist'],
  cache: 'no-store',
  params: EnrollmentTokenPath,
  body: RotateTokenBody,
  optionalBody: true,
  // the token and its project; the rotation with the project open
  table: ['BatchGetItem', 'UpdateItem', 'ConditionCheckItem'],
  seal: ['seal'],
  calls: { 'service token': 2 },
} as const satisfies RouteSpec

export const enrollServer = {
  method: 'POST',
  path: '/v1/teams/{team}/projects/{project}/servers',
  handler: 'servers/enroll',
  auth: 'enrollment',
  summary:
    'An agent enrolls its server with an enrollment token, or with no token and a signed sts:GetCallerIdentity request (`aws_iam`); answers the server token once.',
  responses: {
    201: { body: EnrolledServer, description: 'The server and its token, shown only here' },
  },
  // service_offline also when STS is unreachable or throttles (secretless enrollment)
  errors: [],
  cache: 'no-store',
  params: ProjectPath,
  body: EnrollServerBody,
  // the token's use, the server, the project open; secretless: the project's cloud
  // accounts, the signature's replay guard, the admitting account still there
  table: ['UpdateItem', 'PutItem', 'ConditionCheckItem', 'Query'],
  calls: { token: 1, 'refused token': 1, garbage: 0, aws_iam: 2 },
} as const satisfies RouteSpec

export const listServers = {
  method: 'GET',
  path: '/v1/teams/{team}/projects/{project}/servers',
  handler: 'servers/list',
  auth: 'user',
  access: 'read',
  scope: 'servers:read',
  summary: "Lists a project's enrolled servers, oldest first.",
  responses: {
    200: { body: ServerList, headers: ['link'], description: 'A page of servers, oldest first' },
  },
  errors: ['resource_does_not_exist'],
  params: ProjectPath,
  query: PageQuery,
  table: ['Query', 'GetItem'], // the page and, beside it, the project
  calls: { 'service token': 2, 'empty page': 2 },
  callsGrow: '1 Query per page',
} as const satisfies RouteSpec

export const getServer = {
  method: 'GET',
  path: '/v1/teams/{team}/projects/{project}/servers/{serverId}',
  handler: 'servers/get',
  auth: 'user',
  access: 'read',
  scope: 'servers:read',
  summary: 'Fetches one enrolled server.',
  responses: { 200: { body: ServerView, description: 'The server' } },
  errors: ['resource_does_not_exist'],
  params: ServerPath,
  table: ['BatchGetItem'], // the server and its project
  calls: { 'service token': 1 },
} as const satisfies RouteSpec

export const deleteServer = {
  method: 'DELETE',
  path: '/v1/teams/{team}/projects/{project}/servers/{serverId}',
  handler: 'servers/delete',
  auth: 'user',
  access: 'manage',
  scope: 'servers:write',
  summary: 'Deletes a server (admins); its token is revoked at once.',
  responses: { 204: { description: 'Deleted; its token is revoked at once' } },
  errors: ['resource_does_not_exist'],
  params: ServerPath,
  table: ['BatchGetItem', 'DeleteItem', 'PutItem'], // server and project; the delete
  calls: { 'service token': 2 },
} as const satisfies RouteSpec

export const heartbeat = {
  method: 'POST',
  path: '/v1/teams/{team}/projects/{project}/servers/{serverId}/heartbeat',
  handler: 'servers/heartbeat',
  auth: 'server',
  summary: 'An enrolled server reports in with its own token; updates last_seen.',
  responses: { 204: { description: '`last_seen` updated' } },
  errors: ['server_authorization_revoked'],
  params: ServerPath,
  table: ['UpdateItem', 'BatchGetItem'], // project, server and deletion record; then the write
  calls: { ok: 2, 'deleted server': 1 },
} as const satisfies RouteSpec

export const rotateServerToken = {
  method: 'POST',
  path: '/v1/teams/{team}/projects/{project}/servers/{serverId}/rotate_token',
  handler: 'servers/rotate-token',
  auth: 'server',
  summary:
    'An enrolled server replaces its own token (shown only in this answer); the old one works `expireOldInSeconds` more (default 0).',
  responses: { 200: { body: RotatedServerToken, description: "The server's new token" } },
  errors: ['server_authorization_revoked'],
  cache: 'no-store',
  params: ServerPath,
  body: RotateTokenBody,
  optionalBody: true,
  table: ['UpdateItem', 'ConditionCheckItem'], // the rotation, proved by the current secret; a deletion record
  calls: { ok: 1, 'deleted server': 2 },
} as const satisfies RouteSpec

export const getTokenPolicy = {
  method: 'GET',
  path: '/v1/teams/{team}/token_policy',
  handler: 'token-policy/get',
  auth: 'user',
  access: 'read',
  scope: 'tokens:read',
  summary: "The team's token policy (members): lifetime, quota, allowed scopes, inactivity.",
  responses: { 200: { body: TokenPolicyView, description: 'The policy (defaults when unset)' } },
  errors: [],
  params: TeamPath,
  table: ['GetItem'],
  calls: { 'service token': 1, 'personal token': 2 }, // the user's role read with the token
} as const satisfies RouteSpec

export const putTokenPolicy = {
  method: 'PUT',
  path: '/v1/teams/{team}/token_policy',
  handler: 'token-policy/put',
  auth: 'user',
  access: 'manage',
  scope: 'tokens:write',
  summary: "Replaces the team's token policy (admins); a field left out takes its default.",
  responses: { 200: { body: TokenPolicyView, description: 'The policy now in force' } },
  errors: [],
  params: TeamPath,
  body: TokenPolicyBody,
  table: ['PutItem'],
  calls: { 'service token': 1, 'personal token': 2 },
} as const satisfies RouteSpec

export const revokeLeakedTokens = {
  method: 'POST',
  path: '/v1/secret-scanning/revoke',
  handler: 'secret-scanning/revoke',
  auth: 'github',
  summary:
    "GitHub's secret-scanning partner report, signed by GitHub: every reported token that works is revoked at once; the answer labels each.",
  responses: {
    200: { body: LeakFeedbackView, description: "GitHub's feedback: one label per token" },
  },
  errors: [],
  cache: 'no-store',
  body: LeakReportBody,
  // 1,000 reports of about 300 bytes
  maxBodyBytes: 1_048_576, // a literal: esbuild keeps a row holding an expression
  // the reported tokens, 100 a read; a personal token's mark; a server's or an
  // enrollment token's delete with its deletion record
  table: ['BatchGetItem', 'UpdateItem', 'DeleteItem', 'PutItem'],
  calls: {
    'bad signature': 0,
    'not ours': 0,
    'personal token': 2,
    'server token': 2,
    'enrollment token': 2,
  },
  callsGrow:
    '1 BatchGetItem per 100 keys (a personal token and its revocation mark are 2), 1 write per live token',
} as const satisfies RouteSpec

export const listCloudAccounts = {
  method: 'GET',
  path: '/v1/teams/{team}/projects/{project}/cloud_accounts',
  handler: 'cloud-accounts/list',
  auth: 'user',
  access: 'read',
  scope: 'enrollment:read',
  summary:
    "Lists a project's cloud accounts (whose machines may enroll without a token), oldest first.",
  responses: {
    200: {
      body: CloudAccountList,
      headers: ['link'],
      description: 'A page of cloud accounts, oldest first',
    },
  },
  errors: ['resource_does_not_exist'],
  params: ProjectPath,
  query: PageQuery,
  table: ['Query', 'GetItem'], // the page and, beside it, the project (404 if being deleted)
  calls: { 'service token': 2, 'empty page': 2 },
  callsGrow: '1 Query per page',
} as const satisfies RouteSpec

export const createCloudAccount = {
  method: 'POST',
  path: '/v1/teams/{team}/projects/{project}/cloud_accounts',
  handler: 'cloud-accounts/create',
  auth: 'user',
  access: 'manage',
  scope: 'enrollment:write',
  summary:
    'Registers an AWS account, optionally limited to IAM roles, whose machines may enroll by signed identity (admins).',
  responses: { 201: { body: CloudAccountView, description: 'The cloud account' } },
  errors: ['resource_does_not_exist'],
  params: ProjectPath,
  body: CreateCloudAccountBody,
  table: ['PutItem', 'ConditionCheckItem'],
  calls: { 'service token': 1 },
} as const satisfies RouteSpec

export const deleteCloudAccount = {
  method: 'DELETE',
  path: '/v1/teams/{team}/projects/{project}/cloud_accounts/{cloudAccountId}',
  handler: 'cloud-accounts/delete',
  auth: 'user',
  access: 'manage',
  scope: 'enrollment:write',
  summary: 'Removes a cloud account (admins); servers it admitted stay enrolled.',
  responses: { 204: { description: 'Removed (servers it admitted stay enrolled)' } },
  errors: ['resource_does_not_exist'],
  params: CloudAccountPath,
  table: ['DeleteItem', 'PutItem', 'ConditionCheckItem'], // the account; its deletion record; the project open
  calls: { 'service token': 1 },
} as const satisfies RouteSpec

export const listTeamTokens = {
  method: 'GET',
  path: '/v1/teams/{team}/tokens',
  handler: 'team-tokens/list',
  auth: 'user',
  access: 'manage',
  scope: 'tokens:read',
  summary:
    "Lists every personal token of the team (admins), metadata only: soonest due first, or one user's by id.",
  responses: {
    200: {
      body: TeamTokenList,
      headers: ['link'],
      description: 'A page of tokens, those expiring soonest first',
    },
  },
  errors: [],
  params: TeamPath,
  query: TeamTokensQuery,
  table: ['QueryIndex', 'Query'], // the team's tokens from the index; one user's partition
  calls: { 'service token': 1, '?user=': 1 },
  callsGrow: '1 Query per page; `?expiring_within_days=` evaluates at most 1,001 a page',
} as const satisfies RouteSpec

export const deleteTeamUserToken = {
  method: 'DELETE',
  path: '/v1/teams/{team}/users/{user}/tokens/{tokenId}',
  handler: 'team-tokens/delete',
  auth: 'user',
  access: 'manage',
  scope: 'tokens:write',
  summary: "Revokes any user's personal token (admins).",
  responses: { 204: { description: 'Revoked' } },
  errors: ['resource_does_not_exist'],
  params: TeamUserTokenPath,
  table: ['UpdateItem', 'DeleteItem'], // who and why on the token, then it and its name guard
  calls: { 'service token': 2, 'no such token': 1 },
} as const satisfies RouteSpec

export const listAudit = {
  method: 'GET',
  path: '/v1/teams/{team}/audit',
  handler: 'audit/list',
  auth: 'user',
  access: 'manage',
  scope: 'tokens:read',
  summary: "Lists the team's audit trail (admins): every event, newest first.",
  responses: {
    200: { body: AuditList, headers: ['link'], description: 'A page of events, newest first' },
  },
  errors: [],
  params: TeamPath,
  query: AuditQuery,
  table: ['Query'],
  calls: { 'service token': 1 },
  callsGrow: '1 Query per page; `?type=`/`?actor=` evaluate at most 1,001 a page',
} as const satisfies RouteSpec

export const listTeamUsers = {
  method: 'GET',
  path: '/v1/teams/{team}/users',
  handler: 'users/list',
  auth: 'user',
  access: 'manage',
  // Who holds the team's tokens, beside the admin views of the tokens themselves.
  scope: 'tokens:read',
  summary:
    "Lists the team's users (admins), by name: role, MFA, whether locked out; never a password or its hash.",
  responses: {
    200: { body: UserList, headers: ['link'], description: 'A page of users, by name' },
  },
  errors: [],
  params: TeamPath,
  query: PageQuery,
  table: ['Query', 'BatchGetItem'], // the page of users; their sign-in windows
  calls: { 'service token': 2 },
  callsGrow: '1 Query per page, 1 BatchGetItem per 100 users',
} as const satisfies RouteSpec

/** Every route by id (each row is also its own export, so a handler bundles only its row). */
export const routes = {
  listAccessTokens,
  createAccessToken,
  deleteAllAccessTokens,
  deleteAccessToken,
  rotateAccessToken,
  createTokenByGrant,
  deleteTokenByGrant,
  createServiceToken,
  jwks,
  openApi,
  health,
  verifyToken,
  listProjects,
  createProject,
  getProject,
  updateProject,
  deleteProject,
  listEnrollmentTokens,
  createEnrollmentToken,
  getEnrollmentToken,
  deleteEnrollmentToken,
  rotateEnrollmentToken,
  enrollServer,
  listServers,
  getServer,
  deleteServer,
  heartbeat,
  rotateServerToken,
  getTokenPolicy,
  putTokenPolicy,
  revokeLeakedTokens,
  listCloudAccounts,
  createCloudAccount,
  deleteCloudAccount,
  listTeamTokens,
  deleteTeamUserToken,
  listAudit,
  listTeamUsers,
} as const

export type RouteId = keyof typeof routes

/** Answers requests that match no route (404) or no method of a path (405). */
export const fallbackHandler = 'fallback/not-found'

/** Every table action a route's function needs: its authentication, authorisation and work. */
export const tableActionsOf = (route: RouteSpec): TableAction[] => [
  ...new Set([
    ...authTableActions[route.auth],
    ...(route.access ? accessTableActions[route.access] : []),
    ...route.table,
  ]),
]

/**
 * Every use of the signing key a route's function needs. Authentication needs none:
 * verifiers read the public keys the signer published to the table.
 */
export const keyUsesOf = (route: RouteSpec): KeyUse[] => [...new Set(route.keys ?? [])]

const listOf = (table: Record<string, RouteSpec>): readonly (RouteSpec & { id: string })[] =>
  Object.entries(table).map(([id, route]) => ({ id, ...route }))

/** The table as a list. Marked pure so bundles that use one row drop it (and every row). */
export const routeList = /* @__PURE__ */ listOf(routes)

/** Errors no test over HTTP can provoke at will: a fault of ours, or an outage of the store. */
export const universalErrors: readonly ErrorCode[] = ['unknown_error', 'service_offline']

/**
 * Every error code a route may answer: what its row declares, plus what its other
 * columns imply. Read by the docs, the OpenAPI document and the tests.
 */
export function errorsOf(route: RouteSpec): ErrorCode[] {
  const implied: ErrorCode[] = []
  if (route.body || route.params || route.query) implied.push('invalid_request')
  if (route.body) implied.push('payload_too_large', 'unsupported_content_type')
  if (route.auth !== 'none') implied.push('authentication_error')
  // A caller of another team is told the team does not exist; members may not manage.
  if (route.access) implied.push('resource_does_not_exist')
  if (route.access === 'manage') implied.push('forbidden_error')
  // A scoped credential without the route's scope; a rate-limited token over its limit.
  if (route.scope) implied.push('forbidden_error', 'too_many_requests')
  // Only a route that reads or writes the table can meet its outage.
  const usesStore = route.auth !== 'none' || route.table.length > 0
  const faults: ErrorCode[] = usesStore ? ['unknown_error', 'service_offline'] : ['unknown_error']
  return [...new Set([...implied, ...route.errors, ...faults])]
}

/**
 * The headers a route's answers may carry beyond its rows' `headers`, as `errorsOf` adds
 * codes: a route a scoped credential calls is where a rate-limited token is counted, so
 * any of its answers (success or error) may carry the token's X-RateLimit-* trio.
 */
export function impliedHeadersOf(route: RouteSpec): readonly ResponseHeader[] {
  return route.scope ? rateLimitHeaderNames : []
}

/**
 * The sweeper's table actions (functions/sweeper/run.ts, not a route): teams and due
 * tokens from the index, its state items, warnings (UpdateItem), removals (a mark,
 * then a transaction of two deletes), the policy.
 */
export const sweeperTableActions: readonly TableAction[] = [
  'QueryIndex',
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  // The index migration's: nothing else reaches items written before the index.
  'Scan',
]
