import type { APIGatewayProxyEventV2WithLambdaAuthorizer } from 'aws-lambda'
import type { AuthorizerContext } from '../shared/authorizer/authorizer.js'

/**
 * The example stack's protected route (and `npm start`'s `GET /example/orders`): it
 * trusts the authorizer and answers with who called, as any integration behind it can.
 */
export async function handler(
  event: APIGatewayProxyEventV2WithLambdaAuthorizer<AuthorizerContext>,
) {
  const caller = event.requestContext.authorizer.lambda
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ orders: [], caller }),
  }
}
