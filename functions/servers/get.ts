import { fetchServer } from '../../shared/domain/servers.js'
import { endpoint } from '../../shared/http/endpoint.js'
import * as routes from '../../shared/routes.js'

/** GET .../servers/{id} */
export const handler = endpoint(routes.getServer, async ({ params }) => ({
  status: 200,
  body: await fetchServer(params.team, params.project, params.serverId),
}))
