import { rotateProjectEnrollmentToken } from '../../shared/domain/enrollment-tokens.js'
import { endpoint } from '../../shared/http/endpoint.js'
import * as routes from '../../shared/routes.js'

/** POST .../server_enrollment_tokens/{id}/rotate (admins): 200, the token with its new value. */
export const handler = endpoint(
  routes.rotateEnrollmentToken,
  async ({ caller, params, body, baseUrl }) => ({
    status: 200,
    body: await rotateProjectEnrollmentToken(
      caller,
      params.project,
      params.enrollmentTokenId,
      body?.expireOldInSeconds ?? 0,
      baseUrl,
    ),
  }),
)
