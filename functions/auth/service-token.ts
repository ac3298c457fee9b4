import { createServiceToken } from '../../shared/domain/service-tokens.js'
import { openEndpoint } from '../../shared/http/endpoint.js'
import * as routes from '../../shared/routes.js'

/** POST /v1/teams/{team}/service_token: a personal token in, a one-hour JWT out. */
export const handler = openEndpoint(routes.createServiceToken, async ({ params, body }) => {
  const token = await createServiceToken(params.team, body.key_id, body.key_secret)
  return { status: 200, body: token }
})
