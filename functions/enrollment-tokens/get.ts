import { fetchEnrollmentToken } from '../../shared/domain/enrollment-tokens.js'
import { endpoint } from '../../shared/http/endpoint.js'
import * as routes from '../../shared/routes.js'

/** GET .../server_enrollment_tokens/{id}: the token value again, as ASA returns it. */
export const handler = endpoint(routes.getEnrollmentToken, async ({ params }) => ({
  status: 200,
  body: await fetchEnrollmentToken(params.team, params.project, params.enrollmentTokenId),
}))
