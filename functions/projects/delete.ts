import { deleteProject } from '../../shared/domain/projects.js'
import { endpoint } from '../../shared/http/endpoint.js'
import { noContent } from '../../shared/http/response.js'
import * as routes from '../../shared/routes.js'

/** DELETE /v1/teams/{team}/projects/{project}: 204 with its tokens and servers; 404 if none. */
export const handler = endpoint(routes.deleteProject, async ({ caller, params }) => {
  await deleteProject(caller, params.project)
  return noContent
})
