import { createProject, projectView } from '../../shared/domain/projects.js'
import { endpoint } from '../../shared/http/endpoint.js'
import * as routes from '../../shared/routes.js'

/** POST /v1/teams/{team}/projects: 201 with the project and its settings; 409 when the name is taken. */
export const handler = endpoint(routes.createProject, async ({ caller, body }) => ({
  status: 201,
  body: projectView(await createProject(caller, body)),
}))
