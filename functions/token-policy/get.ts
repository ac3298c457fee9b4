import { readTeamTokenPolicy } from '../../shared/domain/token-policies.js'
import { endpoint } from '../../shared/http/endpoint.js'
import * as routes from '../../shared/routes.js'

/** GET /v1/teams/{team}/token_policy (members): the defaults until an admin sets one. */
export const handler = endpoint(routes.getTokenPolicy, async ({ params }) => ({
  status: 200,
  body: await readTeamTokenPolicy(params.team),
}))
