import { enroll } from '../../shared/domain/servers.js'
import { agentEndpoint } from '../../shared/http/endpoint.js'
import * as routes from '../../shared/routes.js'

/**
 * POST .../projects/{project}/servers with an enrollment token, or with a signed AWS
 * identity (`aws_iam`) instead: 201 and the server token, once.
 */
export const handler = agentEndpoint(routes.enrollServer, async ({ caller, body }) => ({
  status: 201,
  body: await enroll(caller, body),
}))
