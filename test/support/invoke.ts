import { randomUUID } from 'node:crypto'
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda'
import { toLambdaEvent } from '../../local/event.js'
import type { HttpResult } from '../../shared/http/response.js'

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpResult>

export interface Invocation {
  method: string
  url: string
  token?: string
  body?: unknown
  headers?: Record<string, string>
  params?: Record<string, string>
  routeKey?: string
}

/** Calls a handler in process with the API Gateway event the request would produce. */
export async function invoke(handler: Handler, request: Invocation) {
  const headers: Record<string, string> = { ...request.headers }
  if (request.token) headers.authorization = `Bearer ${request.token}`
  let body = Buffer.alloc(0)
  if (request.body !== undefined) {
    headers['content-type'] ??= 'application/json'
    body = Buffer.from(
      typeof request.body === 'string' ? request.body : JSON.stringify(request.body),
    )
  }
  const requestId = randomUUID()
  const event = toLambdaEvent(
    { method: request.method, url: request.url, headers, body, sourceIp: '127.0.0.1', requestId },
    request.routeKey ?? `${request.method} ${new URL(request.url, 'http://x').pathname}`,
    request.params,
  )
  const result = await handler(event, { awsRequestId: requestId } as Context)
  return { ...result, requestId, json: result.body ? JSON.parse(result.body) : undefined }
}
