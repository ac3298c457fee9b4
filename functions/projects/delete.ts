import { deleteProject } from '../../shared/domain/projects.js'
import { endpoint } from '../../shared/http/endpoint.js'
import { noContent } from '../../shared/http/response.js'
import { routes } from '../../shared/routes.js'

/** DELETE /v1/teams/{team}/projects/{project}: 204, or 404 when there is none. */
export const handler = endpoint(routes.deleteProject, async ({ params }) => {
  await deleteProject(params.team, params.project)
  return noContent()
})
