import { accessTokenView, createAccessToken } from '../../shared/domain/access-tokens.js'
import { endpoint } from '../../shared/http/endpoint.js'
import { json } from '../../shared/http/response.js'
import * as routes from '../../shared/routes.js'

/** POST /api/tokens: 200 (as Tower answers) with the secret, shown this once. */
export const handler = endpoint(routes.createAccessToken, async ({ caller, body }) => {
  const { accessKey, token } = await createAccessToken(caller, body)
  return json(200, { accessKey, token: accessTokenView(token) }, { 'cache-control': 'no-store' })
})
