import type { APIGatewayProxyEventV2, APIGatewayProxyEventV2WithLambdaAuthorizer } from 'aws-lambda'
import { handler as orders } from '../authorizer/example-orders.js'
import {
  type AuthorizerContext,
  type AuthorizerDecision,
  createAuthorizer,
} from '../shared/authorizer/authorizer.js'
import { json } from '../shared/http/response.js'

/**
 * `npm start`'s stand-in for a user's own API behind the authorizer: the example
 * stack's route, `GET /example/orders` needing `orders:read`, decided by the very
 * authorizer code the Lambda runs. Refusals have API Gateway's bodies; the one
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

export function exampleApi(team: string, cacheTtlSeconds = 60) {
  const decide = createAuthorizer({
    team,
    routeScopes: { [ROUTE_KEY]: EXAMPLE_SCOPES },
    cacheTtlSeconds,
  })
  return async (event: APIGatewayProxyEventV2) => {
    const decision = await decide({ ...event, routeKey: ROUTE_KEY })
    if (decision.status !== 200)
      return json(decision.status, { message: REFUSALS[decision.status] }, decision.headers)
    const authorized: APIGatewayProxyEventV2WithLambdaAuthorizer<AuthorizerContext> = {
      ...event,
      routeKey: ROUTE_KEY,
      requestContext: { ...event.requestContext, authorizer: { lambda: decision.context } },
    }
    return orders(authorized)
  }
}
