import { listProjectServers } from '../../shared/domain/servers.js'
import { endpoint } from '../../shared/http/endpoint.js'
import { listReply } from '../../shared/http/response.js'
import * as routes from '../../shared/routes.js'

/** GET .../projects/{project}/servers: a page, `Link` to the next. */
export const handler = endpoint(routes.listServers, async ({ params, query, http }) =>
  listReply(http.path, await listProjectServers(params.team, params.project, query)),
)
