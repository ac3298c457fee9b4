import type { APIGatewayProxyEventV2 } from 'aws-lambda'
import { isoTime } from '../shared/time.js'

export interface IncomingRequest {
  method: string
  /** Path and query, as on the request line. */
  url: string
  headers: Record<string, string | string[] | undefined>
  body: Buffer
  sourceIp: string
  requestId: string
}

/** Content types API Gateway passes through as text; anything else arrives base64. */
const TEXT_TYPES = /^(text\/|application\/(json|[^;]*\+json|x-www-form-urlencoded|xml))/i

/**
 * Builds the API Gateway HTTP API (payload 2.0) event a request would produce, so
 * the local server invokes handlers exactly as Lambda does.
 */
export function toLambdaEvent(
  request: IncomingRequest,
  routeKey: string,
  pathParameters: Record<string, string> | undefined,
): APIGatewayProxyEventV2 {
  // The request target as sent, split at '?': never parsed as a URL, which would read
  // `//host/...` as a host and resolve `%2e%2e` segments before routing.
  const queryAt = request.url.indexOf('?')
  const rawPath = queryAt === -1 ? request.url : request.url.slice(0, queryAt)
  const rawQueryString = queryAt === -1 ? '' : request.url.slice(queryAt + 1)
  const headers: Record<string, string> = {}
  let cookies: string[] | undefined
  const given = request.headers
  for (const name in given) {
    const value = given[name]
    if (value === undefined) continue
    const joined = typeof value === 'string' ? value : value.join(',')
    if (name === 'cookie') cookies = joined.split(/;\s*/).filter(Boolean)
    else headers[name.toLowerCase()] = joined
  }
  // API Gateway tells the function the scheme the client used; locally it is plain HTTP.
  headers['x-forwarded-proto'] ??= 'http'
  const hasBody = request.body.length > 0
  const asText = !hasBody || TEXT_TYPES.test(headers['content-type'] ?? 'application/json')
  const now = Date.now()
  // Built without the spreads' intermediate objects; optional keys are added only when present.
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString,
    headers,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: request.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: request.requestId,
      routeKey,
      stage: '$default',
      time: isoTime(now),
      timeEpoch: now,
    },
    isBase64Encoded: !asText,
  }
  if (cookies) event.cookies = cookies
  if (rawQueryString) {
    // Repeated parameters are joined with commas, as API Gateway does.
    const query: Record<string, string> = {}
    let any = false
    for (const [name, value] of new URLSearchParams(rawQueryString)) {
      query[name] = name in query ? `${query[name]},${value}` : value
      any = true
    }
    if (any) event.queryStringParameters = query
  }
  if (pathParameters) event.pathParameters = pathParameters
  if (hasBody) event.body = asText ? request.body.toString('utf8') : request.body.toString('base64')
  return event
}
