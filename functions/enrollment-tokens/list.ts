import { listProjectEnrollmentTokens } from '../../shared/domain/enrollment-tokens.js'
import { endpoint } from '../../shared/http/endpoint.js'
import { listReply } from '../../shared/http/response.js'
import * as routes from '../../shared/routes.js'

/** GET .../projects/{project}/server_enrollment_tokens: a page, `Link` to the next. */
export const handler = endpoint(routes.listEnrollmentTokens, async ({ params, query, http }) =>
  listReply(http.path, await listProjectEnrollmentTokens(params.team, params.project, query)),
)
