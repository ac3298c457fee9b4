import { fetchEnrollmentToken } from '../../shared/domain/enrollment-tokens.js'
import { endpoint } from '../../shared/http/endpoint.js'
import { json } from '../../shared/http/response.js'
import * as routes from '../../shared/routes.js'

/** GET .../server_enrollment_tokens/{id}: the token value again, as ASA returns it. */
export const handler = endpoint(routes.getEnrollmentToken, async ({ params }) =>
  json(200, await fetchEnrollmentToken(params.team, params.project, params.enrollmentTokenId), {
    'cache-control': 'no-store',
  }),
)
