import { revokeLeakedTokens } from '../../shared/domain/secret-scanning.js'
import { gitHubEndpoint } from '../../shared/http/endpoint.js'
import * as routes from '../../shared/routes.js'

/** POST /v1/secret-scanning/revoke, signed by GitHub: 200, one label per reported token. */
export const handler = gitHubEndpoint(routes.revokeLeakedTokens, async ({ body }) => ({
  status: 200,
  body: await revokeLeakedTokens(body),
}))
