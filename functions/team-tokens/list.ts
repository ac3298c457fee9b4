import { listTeamTokens } from '../../shared/domain/team-tokens.js'
import { endpoint } from '../../shared/http/endpoint.js'
import { listReply } from '../../shared/http/response.js'
import * as routes from '../../shared/routes.js'

/** GET /v1/teams/{team}/tokens: a page of the team's tokens (admins), `Link` to the next. */
export const handler = endpoint(routes.listTeamTokens, async ({ params, query, http }) =>
  listReply(http.path, await listTeamTokens(params.team, query), {
    user: query.user,
    expiring_within_days: query.expiring_within_days,
  }),
)
