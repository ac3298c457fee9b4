import middy from '@middy/core'
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda'
import { withLogContext } from '../log.js'
import type { RouteSpec } from '../routes.js'
import type { HttpResult, Internal, LatchkeyEvent } from './event.js'
import { accessLog } from './middleware/access-log.js'
import { errorResponse } from './middleware/error-response.js'
import { headWithoutBody } from './middleware/head.js'
import { normalizeHeaders } from './middleware/normalize-headers.js'
import { requestIdHeader } from './middleware/request-id.js'
import { type Reply, toResult } from './reply.js'

/** What Lambda (and the local server) calls: an API Gateway payload 2.0 event in, a result out. */
export type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpResult>

/**
 * The part of the middleware stack every function runs, routes and the fallback
 * alike: the access log, HEAD without a body, the request id, error mapping and
 * header normalisation. Order matters: middy runs `before` in this order and
 * `after`/`onError` in reverse, so errors are mapped first, then stamped with the
 * request id, then (for HEAD) emptied, then logged. It
 * imports nothing that touches AWS, so the fallback bundles no SDK.
 */
export const baseStack = () =>
  middy<LatchkeyEvent, HttpResult, Error, Context, Internal>()
    .use(accessLog())
    .use(headWithoutBody())
    .use(requestIdHeader())
    .use(errorResponse())
    .use(normalizeHeaders())

/**
 * What a function exports: the middy stack, run inside its invocation's log context
 * (function, Lambda request id, correlation id, cold start), so every line it logs
 * carries them: the stack's own lines from `event.invocation`, deeper code's as
 * shared/log.ts explains.
 */
export function lambdaHandler(stack: unknown): HttpHandler {
  const run = stack as (event: LatchkeyEvent, context: Context) => Promise<HttpResult>
  return (event, context) =>
    withLogContext(
      {
        functionName: context?.functionName,
        awsRequestId: context?.awsRequestId,
        correlationId: event.headers?.['x-correlation-id'],
        fallback: event.requestContext?.requestId,
      },
      // On the event, as the stack's middlewares record what they learn (no copy).
      (invocation) => {
        const latchkeyEvent: LatchkeyEvent = event
        latchkeyEvent.invocation = invocation
        return run(latchkeyEvent, context)
      },
    )
}

/**
 * For routes that read no credential and no input (the JWKS): the base stack alone,
 * so their bundles carry no authentication, validation or DynamoDB code.
 */
export function publicEndpoint<
  // Checked by type: such a row has no input to apply.
  R extends RouteSpec & { auth: 'none'; body?: undefined; params?: undefined; query?: undefined },
>(route: R, handle: () => Promise<Reply<R>>): HttpHandler {
  return lambdaHandler(baseStack().handler(async () => toResult(route, await handle())))
}
