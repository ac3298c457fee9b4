import { setTeamTokenPolicy } from '../../shared/domain/token-policies.js'
import { endpoint } from '../../shared/http/endpoint.js'
import * as routes from '../../shared/routes.js'

/** PUT /v1/teams/{team}/token_policy (admins): replaces it, answers what is now in force. */
export const handler = endpoint(routes.putTokenPolicy, async ({ caller, body }) => ({
  status: 200,
  body: await setTeamTokenPolicy(caller, body),
}))
