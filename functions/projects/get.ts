import { fetchProject, projectView } from '../../shared/domain/projects.js'
import { endpoint } from '../../shared/http/endpoint.js'
import { json } from '../../shared/http/response.js'
import * as routes from '../../shared/routes.js'

/** GET /v1/teams/{team}/projects/{project} */
export const handler = endpoint(routes.getProject, async ({ params }) =>
  json(200, projectView(await fetchProject(params.team, params.project))),
)
