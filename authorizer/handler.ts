import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda'
import {
  type AuthorizerContext,
  type AuthorizerOptions,
  createAuthorizer,
} from '../shared/authorizer/authorizer.js'
import { ConfigError } from '../shared/config.js'

/** The authorizer's own settings, set by the construct (infra/authorizer.ts); read at cold start. */
export function readAuthorizerOptions(env: NodeJS.ProcessEnv = process.env): AuthorizerOptions {
  const team = env.LATCHKEY_TEAM
  if (!team) throw new ConfigError('LATCHKEY_TEAM', 'is not set')
  const ttl = Number(env.LATCHKEY_CACHE_TTL_SECONDS ?? '60')
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 3600)
    throw new ConfigError('LATCHKEY_CACHE_TTL_SECONDS', 'must be an integer from 0 to 3600')
  let routeScopes: AuthorizerOptions['routeScopes']
  try {
    routeScopes = JSON.parse(env.LATCHKEY_ROUTE_SCOPES ?? '{}')
  } catch {
    throw new ConfigError('LATCHKEY_ROUTE_SCOPES', 'is not JSON')
  }
  return {
    team,
    routeScopes,
    cacheTtlSeconds: ttl,
    queryParameter: env.LATCHKEY_TOKEN_QUERY || undefined,
  }
}

/**
 * The decision, exported for `npm start`, which runs this very bundle (local/authorizer.ts)
 * and tells a used-up rate limit (429) from a missing scope, as API Gateway can't.
 */
export const decide = createAuthorizer(readAuthorizerOptions())

/**
 * API Gateway HTTP API Lambda authorizer, payload 2.0 with simple responses. API
 * Gateway can answer only three ways: allowed (the integration runs, with the context),
 * `Unauthorized` thrown (401), or not allowed (403). A missing scope and a used-up rate
 * limit are therefore both 403 on AWS; the decision itself (and `npm start`) tells 429.
 */
export async function handler(
  event: APIGatewayRequestAuthorizerEventV2,
): Promise<APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext | Record<string, never>>> {
  const decision = await decide(event)
  if (decision.status === 401) throw new Error('Unauthorized')
  if (decision.status !== 200) return { isAuthorized: false, context: {} }
  return { isAuthorized: true, context: decision.context }
}
