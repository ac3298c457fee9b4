import { AccessTokenPath, CreateAccessTokenBody } from './schemas/access-tokens.js'

/**
 * The route table: the single source for the local server, the CDK stack and the
 * API docs. A row names its handler module (`functions/<handler>.ts`, export
 * `handler`), who may call it, and the schemas of its input. This module is data
 * only, so infrastructure code can import it without pulling in runtime code.
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** `user`: a personal access token, as `Authorization: Bearer` or `?token=`. */
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
} as const satisfies Record<string, RouteSpec>

export type RouteId = keyof typeof routes

/** Answers requests that match no route (404) or no method of a path (405). */
export const fallbackHandler = 'fallback/not-found'

export const routeList: readonly (RouteSpec & { id: string })[] = Object.entries(routes).map(
  ([id, route]) => ({ id, ...route }),
)
