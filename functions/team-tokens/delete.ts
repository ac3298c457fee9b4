import { revokeTeamUserToken } from '../../shared/domain/team-tokens.js'
import { endpoint } from '../../shared/http/endpoint.js'
import { noContent } from '../../shared/http/response.js'
import * as routes from '../../shared/routes.js'

/** DELETE /v1/teams/{team}/users/{user}/tokens/{tokenId}: an admin revokes anyone's token. */
export const handler = endpoint(routes.deleteTeamUserToken, async ({ caller, params }) => {
  await revokeTeamUserToken(caller, params.user, Number(params.tokenId))
  return noContent
})
