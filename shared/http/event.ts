import type { APIGatewayProxyEventV2 } from 'aws-lambda'
import type { Caller } from '../auth/caller.js'
import type { InvocationContext } from '../log.js'
import type { HttpResult } from './response.js'

/** The API Gateway event, plus what the middleware stack learns about it. */
export interface LatchkeyEvent extends APIGatewayProxyEventV2 {
  /** The invocation's log context (shared/log.ts), for the stack's own lines. */
  invocation?: InvocationContext
  caller?: Caller
  /** The request body, parsed (JSON or form) but not yet validated. */
  parsedBody?: unknown
  /** Headers every answer to this request carries (a rate-limited token's X-RateLimit-*). */
  responseHeaders?: Record<string, string>
  /** Validated input: what the handler receives. */
  input?: { body: unknown; params: Record<string, string>; query: Record<string, string> }
}

export type { HttpResult }

/** Per-request middleware state (middy's `request.internal`, fresh for each request). */
export type Internal = {
  startedAt?: number
  /** The pending `lastUsed` write of the credential in use. */
  recorded?: Promise<void>
}

export type Middleware = import('@middy/core').MiddlewareObj<
  LatchkeyEvent,
  HttpResult,
  Error,
  import('aws-lambda').Context,
  Internal
>
