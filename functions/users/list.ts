import { listTeamUsers } from '../../shared/domain/users.js'
import { endpoint } from '../../shared/http/endpoint.js'
import { listReply } from '../../shared/http/response.js'
import * as routes from '../../shared/routes.js'

/** GET /v1/teams/{team}/users: a page of the team's users (admins), `Link` to the next. */
export const handler = endpoint(routes.listTeamUsers, async ({ params, query, http }) =>
  listReply(http.path, await listTeamUsers(params.team, query)),
)
