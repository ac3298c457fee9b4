import { AccessTokenPath, CreateAccessTokenBody } from './schemas/access-tokens.js'
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
 * bearer token (a JWT, `Authorization: Bearer`).
 */
export type AuthKind = 'none' | 'user'

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
}

/** Uses of the service-token signing key (a KMS key on AWS). */
export type KeyUse = 'sign' | 'publicKeys'

export const authKeyUses: Record<AuthKind, readonly KeyUse[]> = {
  none: [],
  user: ['publicKeys'], // verifying service tokens
}

export interface RouteSpec {
  method: HttpMethod
  path: string
  handler: string
  auth: AuthKind
  summary: string
  /** Request schemas; each is compiled ahead of time (shared/schemas). */
  body?: { $id: string }
  params?: { $id: string }
  query?: { $id: string }
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
} as const satisfies Record<string, RouteSpec>

export type RouteId = keyof typeof routes

/** Answers requests that match no route (404) or no method of a path (405). */
export const fallbackHandler = 'fallback/not-found'

export const routeList: readonly (RouteSpec & { id: string })[] = Object.entries(routes).map(
  ([id, route]) => ({ id, ...route }),
)
