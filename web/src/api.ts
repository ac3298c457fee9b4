import type { Reply } from '../../shared/http/reply.js'
import type { routes } from '../../shared/routes.js'
import type {
  AccessToken,
  AuditEvent,
  ServerEnrollmentToken as EnrollmentTokenView,
  Project as ProjectView,
  Server as ServerView,
  TeamToken,
  TeamUser,
  TokenPolicyAnswer,
} from '../../shared/schemas/views.js'

/**
 * The console's API client: the public routes only, each named by its id in the
 * route table. Methods and paths are written out here (so the bundle holds no
 * validators) and the checker holds them equal to the table's rows; bodies and answers
 * are typed from the rows' request and response schemas.
 */
type Routes = typeof routes

const ROUTES = {
  listAccessTokens: ['GET', '/api/tokens'],
  createAccessToken: ['POST', '/api/tokens'],
  deleteAllAccessTokens: ['DELETE', '/api/tokens/delete-all'],
  deleteAccessToken: ['DELETE', '/api/tokens/{tokenId}'],
  rotateAccessToken: ['POST', '/api/tokens/{tokenId}/rotate'],
  createTokenByGrant: ['POST', '/tokens'],
  createServiceToken: ['POST', '/v1/teams/{team}/service_token'],
  listProjects: ['GET', '/v1/teams/{team}/projects'],
  createProject: ['POST', '/v1/teams/{team}/projects'],
  getProject: ['GET', '/v1/teams/{team}/projects/{project}'],
  deleteProject: ['DELETE', '/v1/teams/{team}/projects/{project}'],
  listEnrollmentTokens: ['GET', '/v1/teams/{team}/projects/{project}/server_enrollment_tokens'],
  createEnrollmentToken: ['POST', '/v1/teams/{team}/projects/{project}/server_enrollment_tokens'],
  deleteEnrollmentToken: [
    'DELETE',
    '/v1/teams/{team}/projects/{project}/server_enrollment_tokens/{enrollmentTokenId}',
  ],
  rotateEnrollmentToken: [
    'POST',
    '/v1/teams/{team}/projects/{project}/server_enrollment_tokens/{enrollmentTokenId}/rotate',
  ],
  getTokenPolicy: ['GET', '/v1/teams/{team}/token_policy'],
  putTokenPolicy: ['PUT', '/v1/teams/{team}/token_policy'],
  listTeamUsers: ['GET', '/v1/teams/{team}/users'],
  listTeamTokens: ['GET', '/v1/teams/{team}/tokens'],
  listAudit: ['GET', '/v1/teams/{team}/audit'],
  listServers: ['GET', '/v1/teams/{team}/projects/{project}/servers'],
  deleteServer: ['DELETE', '/v1/teams/{team}/projects/{project}/servers/{serverId}'],
} as const satisfies { [K in keyof Routes]?: readonly [Routes[K]['method'], Routes[K]['path']] }

export type RouteId = keyof typeof ROUTES

export type {
  AccessToken,
  AuditEvent,
  EnrollmentTokenView,
  ProjectView,
  ServerView,
  TeamToken,
  TeamUser,
  TokenPolicyAnswer,
}

/** What a route answers on success, typed from its row's response schemas. */
type AnswerBody<K extends RouteId> = Reply<Routes[K]>['body']

type ParamNames<P extends string> = P extends `${string}{${infer N}}${infer Rest}`
  ? N | ParamNames<Rest>
  : never
type Params<K extends RouteId> = Record<ParamNames<(typeof ROUTES)[K][1]>, string>
/** A body's shape from its row's schema (objects of scalars, arrays and nested objects). */
type Scalar<P> = P extends { type: readonly [infer T, 'null'] }
  ? Scalar<Omit<P, 'type'> & { type: T }> | null
  : P extends { type: 'string' }
    ? string
    : P extends { type: 'integer' | 'number' }
      ? number
      : P extends { type: 'boolean' }
        ? boolean
        : P extends { type: 'array'; items: infer I }
          ? readonly Scalar<I>[]
          : P extends { type: 'object'; properties: object }
            ? Shape<P>
            : P extends { type: 'object' }
              ? Record<string, unknown>
              : never
type Shape<S> = S extends { properties: infer P }
  ? (S extends { required: readonly (infer R extends string)[] } ? R : never) extends infer R
    ? { [N in keyof P & R]: Scalar<P[N]> } & { [N in Exclude<keyof P, R>]?: Scalar<P[N]> }
    : never
  : never
type Body<K extends RouteId> = Routes[K] extends { body: { schema: infer S } } ? Shape<S> : never

export interface Request<K extends RouteId> {
  params?: Params<K>
  body?: Body<K>
  query?: Record<string, string>
  /** The credential; the session's service token when not given. */
  bearer?: string
}

export interface FieldError {
  description: string
  message: string
}

/** An error answer, in the contract's words: its code, message and field errors. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldError[] = [],
    readonly retryAfter?: number,
  ) {
    super(message)
  }
}

export interface Answer<K extends RouteId> {
  body: AnswerBody<K>
  /** The next page's cursor, from a `Link: <...>; rel="next"` header. */
  next?: string
}

let bearerOfSession: string | undefined
/** Called when the session's token is refused (expired): the app signs out. */
let onExpired: () => void = () => {}

export function useSession(bearer: string | undefined, expired?: () => void): void {
  bearerOfSession = bearer
  if (expired) onExpired = expired
}

export async function call<K extends RouteId>(id: K, request: Request<K> = {}): Promise<Answer<K>> {
  const [method, template] = ROUTES[id]
  const params: Record<string, string> = request.params ?? {}
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(params[name] ?? ''),
  )
  const query = request.query ? `?${new URLSearchParams(request.query)}` : ''
  const headers: Record<string, string> = { accept: 'application/json' }
  const bearer = request.bearer ?? bearerOfSession
  if (bearer) headers.authorization = `Bearer ${bearer}`
  if (request.body !== undefined) headers['content-type'] = 'application/json'
  let response: Response
  try {
    response = await fetch(path + query, {
      method,
      headers,
      body: request.body === undefined ? null : JSON.stringify(request.body),
      credentials: 'omit',
      cache: 'no-store',
    })
  } catch {
    throw new ApiError(0, 'network', 'The service could not be reached; check your connection.')
  }
  const text = await response.text()
  const parsed = parseJson(text)
  if (!response.ok) {
    const error = errorOf(response, parsed)
    if (error.status === 401 && !request.bearer && bearerOfSession) onExpired()
    throw error
  }
  return { body: parsed as AnswerBody<K>, next: nextCursor(response.headers.get('link')) }
}

function parseJson(text: string): unknown {
  if (!text) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function errorOf(response: Response, parsed: unknown): ApiError {
  const body = (parsed ?? {}) as { code?: unknown; message?: unknown; errors?: unknown }
  const fields = Array.isArray(body.errors)
    ? body.errors.filter(
        (e): e is FieldError =>
          typeof e?.description === 'string' && typeof e?.message === 'string',
      )
    : []
  const retry = Number(response.headers.get('retry-after'))
  return new ApiError(
    response.status,
    typeof body.code === 'string' ? body.code : 'unknown_error',
    typeof body.message === 'string'
      ? body.message
      : `The service answered ${response.status} ${response.statusText}.`,
    fields,
    Number.isFinite(retry) && retry > 0 ? retry : undefined,
  )
}

function nextCursor(link: string | null): string | undefined {
  const match = link && /<([^>]*)>\s*;\s*rel="next"/.exec(link)
  if (!match?.[1]) return undefined
  return new URL(match[1], location.href).searchParams.get('offset') ?? undefined
}
