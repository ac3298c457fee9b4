import { accessTokenView, rotateOwnAccessToken } from '../../shared/domain/access-tokens.js'
import { endpoint } from '../../shared/http/endpoint.js'
import * as routes from '../../shared/routes.js'

/** POST /api/tokens/{tokenId}/rotate: 200 like create, the new secret shown this once. */
export const handler = endpoint(routes.rotateAccessToken, async ({ caller, params, body }) => {
  const grace = body?.expireOldInSeconds ?? 0
  const { accessKey, token } = await rotateOwnAccessToken(caller, Number(params.tokenId), grace)
  return { status: 200, body: { accessKey, token: accessTokenView(token) } }
})
