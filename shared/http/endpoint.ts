import type { FromSchema, JSONSchema } from 'json-schema-to-ts'
import type {
  AwsIamClaim,
  EnrollmentCaller,
  GitHubCaller,
  ServerClaim,
  UserCaller,
} from '../auth/caller.js'
import { config, context } from '../context.js'
import type { AgentAuth, RouteSpec, UserAuth } from '../routes.js'
import type { Middleware } from './event.js'
import { authenticateUser } from './middleware/authenticate.js'
import { authenticateAgent } from './middleware/authenticate-agent.js'
import { authenticateGitHub } from './middleware/authenticate-github.js'
import { authorize } from './middleware/authorize.js'
import { parseBody } from './middleware/parse-body.js'
import { rejectDotSegments } from './middleware/path-params.js'
import { validateInput } from './middleware/validate.js'
import { type Reply, toResult } from './reply.js'
import { baseStack, type HttpHandler, lambdaHandler } from './stack.js'

type CallerOf<K> = K extends 'user'
  ? UserCaller
  : K extends 'optional'
    ? UserCaller | undefined
    : K extends 'enrollment'
      ? EnrollmentCaller | AwsIamClaim
      : K extends 'server'
        ? ServerClaim
        : K extends 'github'
          ? GitHubCaller
          : undefined

/** The TypeScript type of a compiled schema's valid input. */
type Typed<C, Otherwise> = C extends { schema: infer S extends JSONSchema }
  ? FromSchema<S>
  : Otherwise

/** What a handler receives: validated input typed from the route's schemas. */
export interface Input<R extends RouteSpec> {
  body: R['optionalBody'] extends true
    ? Typed<R['body'], undefined> | undefined
    : Typed<R['body'], undefined>
  params: Typed<R['params'], Record<string, never>>
  query: Typed<R['query'], Record<string, string | undefined>>
  caller: CallerOf<R['auth']>
  requestId: string
  /** The request line, for the rare handler that routes on it (the fallback). */
  http: { method: string; path: string }
  /** The service's public base URL: LATCHKEY_BASE_URL, else the request's scheme and host. */
  baseUrl: string
}

type Handle<R extends RouteSpec> = (input: Input<R>) => Promise<Reply<R>>

/**
 * The one middleware stack every endpoint uses: the base stack, then the dot-segment
 * guard, authentication, authorisation, body parsing and validation, in that order.
 */
function stack<R extends RouteSpec>(
  route: R,
  authentication: Middleware,
  handle: Handle<R>,
): HttpHandler {
  // A Lambda container builds its context (configuration, DynamoDB client) here, in
  // its init phase, from its environment: a misconfigured function fails at cold
  // start naming the variable. The local server and the tests install their own.
  if (process.env.AWS_LAMBDA_FUNCTION_NAME) context()
  const handler = baseStack()
    .use(rejectDotSegments())
    .use(authentication)
    .use(authorize(route))
    .use(parseBody(route))
    .use(validateInput(route))
    .handler(async (event) => {
      const input = event.input ?? { body: undefined, params: {}, query: {} }
      const { requestId, http } = event.requestContext
      const request = { method: http.method, path: event.rawPath }
      const scheme = event.headers?.['x-forwarded-proto'] ?? 'https'
      const baseUrl = config().baseUrl ?? `${scheme}://${event.requestContext.domainName}`
      const reply = await handle({
        ...input,
        caller: event.caller,
        requestId,
        http: request,
        baseUrl,
      } as Input<R>)
      return toResult(route, reply)
    })
  return lambdaHandler(handler)
}

/**
 * An endpoint people call with a personal or service token. A personal token is read
 * with what the route needs of its user: the first page of their tokens (a listing) or,
 * on a route that checks a role, their item (so authorize reads nothing more).
 */
export const endpoint = <R extends RouteSpec & { auth: UserAuth }>(route: R, handle: Handle<R>) =>
  stack(
    route,
    authenticateUser(route.auth, route.authReads ?? (route.access ? 'role' : 'token')),
    handle,
  )

/** Authentication for routes that take no credential: none (and no verifier bundled). */
const anyone: Middleware = { name: 'authenticate', before: () => undefined }

/**
 * An endpoint that takes no credential but does take input (the service-token
 * exchange, whose credential is in its body). Its own builder so such functions
 * bundle no token verification.
 */
export const openEndpoint = <R extends RouteSpec & { auth: 'none' }>(route: R, handle: Handle<R>) =>
  stack(route, anyone, handle)

/**
 * An endpoint servers call, with an enrollment token or their own token. Its own
 * builder so that agent functions bundle neither JWT verification nor a KMS client.
 */
export const agentEndpoint = <R extends RouteSpec & { auth: AgentAuth }>(
  route: R,
  handle: Handle<R>,
) => stack(route, authenticateAgent(route.auth), handle)

/**
 * An endpoint GitHub's secret scanning calls, signed over its raw body. Its own
 * builder so that only this function bundles the signature check and its keys.
 */
export const gitHubEndpoint = <R extends RouteSpec & { auth: 'github' }>(
  route: R,
  handle: Handle<R>,
) => stack(route, authenticateGitHub(), handle)
