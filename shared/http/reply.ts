import type { FromSchema, JSONSchema } from 'json-schema-to-ts'
import type { RouteSpec, SuccessStatus } from '../routes.js'
import { type HttpResult, JSON_HEADERS } from './response.js'

type BodyOf<B> = B extends JSONSchema ? FromSchema<B> : never

/**
 * What a handler answers: one of its route's success statuses with the body that
 * status's schema describes (typed from it), and any headers it declares.
 */
export type Reply<R extends RouteSpec> = {
  [S in keyof R['responses'] & SuccessStatus]: R['responses'][S] extends { body: infer B }
    ? { status: S; body: BodyOf<B>; headers?: Record<string, string> }
    : { status: S; body?: undefined; headers?: Record<string, string> }
}[keyof R['responses'] & SuccessStatus]

/** A reply as the HTTP result Lambda returns, with the route's cache policy. */
export function toResult(
  route: Pick<RouteSpec, 'cache'>,
  reply: { status: number; body?: unknown; headers?: Record<string, string> },
): HttpResult {
  // One headers object, built in `json`'s order (its content type, then the reply's).
  const headers: Record<string, string> =
    reply.body === undefined ? { ...reply.headers } : { ...JSON_HEADERS, ...reply.headers }
  if (route.cache) headers['cache-control'] = route.cache
  return reply.body === undefined
    ? { statusCode: reply.status, headers, body: '' }
    : { statusCode: reply.status, headers, body: JSON.stringify(reply.body) }
}
