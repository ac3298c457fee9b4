import { updateProject } from '../../shared/domain/projects.js'
import { endpoint } from '../../shared/http/endpoint.js'
import { noContent } from '../../shared/http/response.js'
import * as routes from '../../shared/routes.js'

/** PUT /v1/teams/{team}/projects/{project}: 204 once the named settings are changed (admins). */
export const handler = endpoint(routes.updateProject, async ({ caller, params, body }) => {
  await updateProject(caller, params.project, body)
  return noContent
})
