import { fetchProject, projectView } from '../../shared/domain/projects.js'
import { endpoint } from '../../shared/http/endpoint.js'
import * as routes from '../../shared/routes.js'

/** GET /v1/teams/{team}/projects/{project} */
export const handler = endpoint(routes.getProject, async ({ params }) => ({
  status: 200,
  body: projectView(await fetchProject(params.team, params.project)),
}))
