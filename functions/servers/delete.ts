import { removeServer } from '../../shared/domain/servers.js'
import { endpoint } from '../../shared/http/endpoint.js'
import { noContent } from '../../shared/http/response.js'
import * as routes from '../../shared/routes.js'

/** DELETE .../servers/{id}: 204; the server's token is answered "revoked" from now on. */
export const handler = endpoint(routes.deleteServer, async ({ caller, params }) => {
  await removeServer(caller, params.project, params.serverId)
  return noContent
})
