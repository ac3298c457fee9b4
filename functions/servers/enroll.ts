import { enroll } from '../../shared/domain/servers.js'
import { agentEndpoint } from '../../shared/http/endpoint.js'
import { json } from '../../shared/http/response.js'
import * as routes from '../../shared/routes.js'

/** POST .../projects/{project}/servers with an enrollment token: 201 and the server token, once. */
export const handler = agentEndpoint(routes.enrollServer, async ({ caller, body }) =>
  json(201, await enroll(caller, body), { 'cache-control': 'no-store' }),
)
