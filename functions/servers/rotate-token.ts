import { rotateOwnServerToken } from '../../shared/domain/servers.js'
import { agentEndpoint } from '../../shared/http/endpoint.js'
import * as routes from '../../shared/routes.js'

/** POST .../servers/{id}/rotate_token with the server's own token: 200, the new token once. */
export const handler = agentEndpoint(routes.rotateServerToken, async ({ caller, body }) => ({
  status: 200,
  body: { server_token: await rotateOwnServerToken(caller, body?.expireOldInSeconds ?? 0) },
}))
