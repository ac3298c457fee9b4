import { accessTokenView, createAccessToken, makerOf } from '../../shared/domain/access-tokens.js'
import { endpoint } from '../../shared/http/endpoint.js'
import * as routes from '../../shared/routes.js'

/** POST /api/tokens: 200 (as Tower answers) with the secret, shown this once. */
export const handler = endpoint(routes.createAccessToken, async ({ caller, body }) => {
  const { accessKey, token } = await createAccessToken(makerOf(caller), body)
  return { status: 200, body: { accessKey, token: accessTokenView(token) } }
})
