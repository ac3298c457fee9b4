import type { APIGatewayProxyEventV2, APIGatewayProxyEventV2WithLambdaAuthorizer } from 'aws-lambda'
import { handler as orders } from '../authorizer/example-orders.js'
import type { AuthorizerContext, AuthorizerDecision } from '../shared/authorizer/authorizer.js'
import type { Config } from '../shared/config.js'
import { json } from '../shared/http/response.js'
import { localAuthorizer } from './authorizer.js'

/**
 * `npm start`'s stand-in for a user's own API behind the authorizer: the example
 * stack's route, `GET /example/orders` needing `orders:read`, decided by the very
 * authorizer bundle the Lambda runs (local/authorizer.ts). Refusals have API Gateway's bodies; the one
 * difference is 429 for a used-up rate limit, which API Gateway can only answer as 403.
 */
export const EXAMPLE_ROUTE = { method: 'GET', path: '/example/orders' } as const
const ROUTE_KEY = `${EXAMPLE_ROUTE.method} ${EXAMPLE_ROUTE.path}`
export const EXAMPLE_SCOPES = ['orders:read']

const REFUSALS: Record<Exclude<AuthorizerDecision['status'], 200>, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  429: 'Too Many Requests',
}

export function exampleApi(team: string, config: Config, cacheTtlSeconds = 60) {
  const authorizer = localAuthorizer({
    team,
    routeScopes: { [ROUTE_KEY]: EXAMPLE_SCOPES },
    cacheTtlSeconds,
    config,
  })
  const serve = async (event: APIGatewayProxyEventV2) => {
    const { headers, queryStringParameters } = event
    const decision = await authorizer.decide({
      routeKey: ROUTE_KEY,
      headers,
      queryStringParameters,
    })
    if (decision.status !== 200)
      return json(decision.status, { message: REFUSALS[decision.status] }, decision.headers)
    const authorized: APIGatewayProxyEventV2WithLambdaAuthorizer<AuthorizerContext> = {
      ...event,
      routeKey: ROUTE_KEY,
      requestContext: { ...event.requestContext, authorizer: { lambda: decision.context } },
    }
    return orders(authorized)
  }
  return { serve, close: () => authorizer.close() }
}
