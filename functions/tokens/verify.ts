import { verificationView, verifyToken } from '../../shared/domain/verify.js'
import { endpoint } from '../../shared/http/endpoint.js'
import { describeError, log } from '../../shared/log.js'
import * as routes from '../../shared/routes.js'

/**
 * POST /v1/teams/{team}/tokens/verify: 200 with the outcome in the body (as Unkey
 * answers), whatever the verified token's fate; errors are about the request itself.
 */
export const handler = endpoint(routes.verifyToken, async ({ params, body, requestId }) => {
  const verification = await verifyToken(
    params.team,
    body.token,
    body.scopes,
    new Date(),
    (error) => log('warn', 'lastUsed not recorded', { requestId, ...describeError(error) }),
  )
  await verification.recorded // never leave a write in flight when Lambda freezes
  return { status: 200, body: verificationView(verification) }
})
