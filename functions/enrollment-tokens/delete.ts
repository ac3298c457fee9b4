import { deleteProjectEnrollmentToken } from '../../shared/domain/enrollment-tokens.js'
import { endpoint } from '../../shared/http/endpoint.js'
import { noContent } from '../../shared/http/response.js'
import * as routes from '../../shared/routes.js'

/** DELETE .../server_enrollment_tokens/{id}: 204; servers it enrolled stay enrolled. */
export const handler = endpoint(routes.deleteEnrollmentToken, async ({ caller, params }) => {
  await deleteProjectEnrollmentToken(caller, params.project, params.enrollmentTokenId)
  return noContent
})
