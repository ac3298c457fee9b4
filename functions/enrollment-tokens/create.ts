import { createEnrollmentToken } from '../../shared/domain/enrollment-tokens.js'
import { endpoint } from '../../shared/http/endpoint.js'
import * as routes from '../../shared/routes.js'

/** POST .../projects/{project}/server_enrollment_tokens: 201 (as ASA answers). */
export const handler = endpoint(
  routes.createEnrollmentToken,
  async ({ caller, params, body, baseUrl }) => ({
    status: 201,
    body: await createEnrollmentToken(caller, params.project, body, baseUrl),
  }),
)
