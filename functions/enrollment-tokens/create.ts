import { createEnrollmentToken } from '../../shared/domain/enrollment-tokens.js'
import { endpoint } from '../../shared/http/endpoint.js'
import { json } from '../../shared/http/response.js'
import * as routes from '../../shared/routes.js'

/** POST .../projects/{project}/server_enrollment_tokens: 201 (as ASA answers). */
export const handler = endpoint(
  routes.createEnrollmentToken,
  async ({ caller, params, body, baseUrl }) =>
    json(201, await createEnrollmentToken(caller, params.project, body, baseUrl), {
      'cache-control': 'no-store',
    }),
)
