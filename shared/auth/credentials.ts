import type { APIGatewayProxyEventV2 } from 'aws-lambda'

/**
 * The credential a request presents: `Authorization: Bearer <token>` or, as Server
 * Density clients send it, the `token` query parameter. The header wins when both
 * are present. Undefined when there is none.
 */
export function presentedCredential(event: APIGatewayProxyEventV2): string | undefined {
  const header = event.headers?.authorization
  if (header !== undefined) {
    const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header)
    // A malformed Authorization header is a failed credential, not an absent one.
    return match?.[1] ?? ''
  }
  return event.queryStringParameters?.token
}
