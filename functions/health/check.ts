import pkg from '../../package.json' with { type: 'json' }
import { publicEndpoint } from '../../shared/http/stack.js'
import * as routes from '../../shared/routes.js'

/**
 * GET /healthz: for load balancers and scripts. No credential, no table, no secret:
 * it says the function (locally, the server) answers, and which version it runs.
 */
export const handler = publicEndpoint(routes.health, async () => ({
  status: 200,
  body: { status: 'ok' as const, version: pkg.version },
}))
