import { heartbeat } from '../../shared/domain/servers.js'
import { agentEndpoint } from '../../shared/http/endpoint.js'
import { noContent } from '../../shared/http/response.js'
import * as routes from '../../shared/routes.js'

/** POST .../servers/{id}/heartbeat with the server's own token: 204, last_seen updated. */
export const handler = agentEndpoint(routes.heartbeat, async ({ caller }) => {
  await heartbeat(caller)
  return noContent
})
