import { accessTokenView, listOwnAccessTokens } from '../../shared/domain/access-tokens.js'
import { endpoint } from '../../shared/http/endpoint.js'
import { json } from '../../shared/http/response.js'
import * as routes from '../../shared/routes.js'

/** GET /api/tokens: the caller's own tokens, ordered by id, never with secrets. */
export const handler = endpoint(routes.listAccessTokens, async ({ caller }) => {
  const tokens = await listOwnAccessTokens(caller)
  return json(200, { tokens: tokens.map(accessTokenView) })
})
