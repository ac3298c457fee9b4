import type { Access } from './auth/policy.js'
import { AccessTokenPath, CreateAccessTokenBody } from './schemas/access-tokens.js'
import { TokenGrantBody, TokenGrantQuery } from './schemas/grants.js'
import { CreateProjectBody, PageQuery, ProjectPath } from './schemas/projects.js'
import { CreateServiceTokenBody, TeamPath } from './schemas/service-tokens.js'

/**
 * The route table: the single source for the local server, the CDK stack and the
 * API docs. A row names its handler module (`functions/<handler>.ts`, export
 * `handler`), who may call it, and the schemas of its input. This module is data
 * only, so infrastructure code can import it without pulling in runtime code.
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/**
 * `user`: a personal access token (`Authorization: Bearer` or `?token=`) or a service
 * bearer token (a JWT, `Authorization: Bearer`). `optional`: the same when one is
 * presented (a bad one is still 401), no caller otherwise (Server Density's
 * `/tokens`, where a password may stand in for it).
 */
export type AuthKind = 'none' | 'user' | 'optional'

export type BodyType = 'json' | 'form'

/** DynamoDB actions, as IAM names them; the CDK stack grants each function exactly these. */
export type TableAction =
  | 'GetItem'
  | 'Query'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'ConditionCheckItem'
  | 'BatchWriteItem'

/** What authenticating each kind of caller costs in table access. */
export const authTableActions: Record<AuthKind, readonly TableAction[]> = {
  none: [],
  user: ['GetItem', 'UpdateItem'], // token lookup, lastUsed
  optional: ['GetItem', 'UpdateItem'],
}

/** Uses of the service-token signing key (a KMS key on AWS). */
export type KeyUse = 'sign' | 'publicKeys'

export const authKeyUses: Record<AuthKind, readonly KeyUse[]> = {
  none: [],
  user: ['publicKeys'], // verifying service tokens
  optional: ['publicKeys'],
}

/** What authorising each kind of team access costs: a personal token's role lookup. */
export const accessTableActions: Record<Access, readonly TableAction[]> = {
  read: [],
  manage: ['GetItem'],
}

export interface RouteSpec {
  method: HttpMethod
  path: string
  handler: string
  auth: AuthKind
  /** For `/v1/teams/{team}/...` routes: the caller must be of `{team}`, with this access. */
  access?: Access
  summary: string
  /** Request schemas; each is compiled ahead of time (shared/schemas). */
  body?: { $id: string }
  params?: { $id: string }
  query?: { $id: string }
  /** The body may be absent (its fields can come from the query instead). */
  optionalBody?: boolean
  /** Body encodings accepted; JSON when not given. */
  bodyTypes?: readonly BodyType[]
  /** Table actions the handler needs beyond authentication (least privilege on AWS). */
  table: readonly TableAction[]
  /** Uses of the service-token key beyond authentication. */
  keys?: readonly KeyUse[]
}

export const routes = {
  listAccessTokens: {
    method: 'GET',
    path: '/api/tokens',
    handler: 'tokens/list',
    auth: 'user',
    summary: "Lists the caller's personal access tokens, by id.",
    table: ['Query'],
  },
  createAccessToken: {
    method: 'POST',
    path: '/api/tokens',
    handler: 'tokens/create',
    auth: 'user',
    summary: 'Creates a personal access token; its secret is shown only in this answer.',
    body: CreateAccessTokenBody,
    table: ['UpdateItem', 'PutItem'],
  },
  deleteAllAccessTokens: {
    method: 'DELETE',
    path: '/api/tokens/delete-all',
    handler: 'tokens/delete-all',
    auth: 'user',
    summary: 'Deletes every personal access token of the caller, the one in use included.',
    table: ['Query', 'BatchWriteItem'],
  },
  deleteAccessToken: {
    method: 'DELETE',
    path: '/api/tokens/{tokenId}',
    handler: 'tokens/delete',
    auth: 'user',
    summary: "Deletes one of the caller's personal access tokens.",
    params: AccessTokenPath,
    table: ['GetItem', 'DeleteItem'],
  },
  createTokenByGrant: {
    method: 'POST',
    path: '/tokens',
    handler: 'grants/create',
    auth: 'optional',
    summary:
      'Server Density: creates a personal access token by password (username, password, accountName) or by an existing token (?token= or Bearer).',
    body: TokenGrantBody,
    optionalBody: true,
    bodyTypes: ['json', 'form'],
    query: TokenGrantQuery,
    // the user and its sign-in failures; the token id; the token and its name guard
    table: ['GetItem', 'UpdateItem', 'PutItem', 'DeleteItem'],
  },
  deleteTokenByGrant: {
    method: 'DELETE',
    path: '/tokens/{tokenId}',
    handler: 'grants/delete',
    auth: 'user',
    summary: "Server Density: deletes one of the caller's personal access tokens.",
    params: AccessTokenPath,
    table: ['GetItem', 'DeleteItem'],
  },
  createServiceToken: {
    method: 'POST',
    path: '/v1/teams/{team}/service_token',
    handler: 'auth/service-token',
    auth: 'none',
    summary:
      'Exchanges a personal access token (key_secret, its id as key_id) for a one-hour service bearer token.',
    params: TeamPath,
    body: CreateServiceTokenBody,
    table: ['GetItem', 'UpdateItem'], // the personal token, its lastUsed, the user's role
    keys: ['sign'],
  },
  jwks: {
    method: 'GET',
    path: '/.well-known/jwks.json',
    handler: 'auth/jwks',
    auth: 'none',
    summary: 'The public keys that verify service bearer tokens.',
    table: [],
    keys: ['publicKeys'],
  },
  listProjects: {
    method: 'GET',
    path: '/v1/teams/{team}/projects',
    handler: 'projects/list',
    auth: 'user',
    access: 'read',
    summary: "Lists the team's projects by name, a page at a time.",
    params: TeamPath,
    query: PageQuery,
    table: ['Query'],
    keys: ['sign'], // the next-page cursor
  },
  createProject: {
    method: 'POST',
    path: '/v1/teams/{team}/projects',
    handler: 'projects/create',
    auth: 'user',
    access: 'manage',
    summary: 'Creates a project (admins).',
    params: TeamPath,
    body: CreateProjectBody,
    table: ['PutItem'],
  },
  getProject: {
    method: 'GET',
    path: '/v1/teams/{team}/projects/{project}',
    handler: 'projects/get',
    auth: 'user',
    access: 'read',
    summary: 'Fetches one project.',
    params: ProjectPath,
    table: ['GetItem'],
  },
  deleteProject: {
    method: 'DELETE',
    path: '/v1/teams/{team}/projects/{project}',
    handler: 'projects/delete',
    auth: 'user',
    access: 'manage',
    summary: 'Deletes a project (admins).',
    params: ProjectPath,
    table: ['DeleteItem'],
  },
} as const satisfies Record<string, RouteSpec>

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

/** Every use of the signing key a route's function needs. */
export const keyUsesOf = (route: RouteSpec): KeyUse[] => [
  ...new Set([...authKeyUses[route.auth], ...(route.keys ?? [])]),
]

export const routeList: readonly (RouteSpec & { id: string })[] = Object.entries(routes).map(
  ([id, route]) => ({ id, ...route }),
)
