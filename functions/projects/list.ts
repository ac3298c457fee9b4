import { listTeamProjects } from '../../shared/domain/projects.js'
import { endpoint } from '../../shared/http/endpoint.js'
import { listReply } from '../../shared/http/response.js'
import * as routes from '../../shared/routes.js'

/** GET /v1/teams/{team}/projects: a page of projects, `Link` to the next. */
export const handler = endpoint(routes.listProjects, async ({ params, query, http }) =>
  listReply(http.path, await listTeamProjects(params.team, query)),
)
