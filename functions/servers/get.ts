import { fetchServer } from '../../shared/domain/servers.js'
import { endpoint } from '../../shared/http/endpoint.js'
import { json } from '../../shared/http/response.js'
import * as routes from '../../shared/routes.js'

/** GET .../servers/{id} */
export const handler = endpoint(routes.getServer, async ({ params }) =>
  json(200, await fetchServer(params.team, params.project, params.serverId)),
)
