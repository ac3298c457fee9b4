import { accessTokenView, listOwnAccessTokens } from '../../shared/domain/access-tokens.js'
import { endpoint } from '../../shared/http/endpoint.js'
import * as routes from '../../shared/routes.js'

/** GET /api/tokens: the caller's own tokens, ordered by id, never with secrets. */
export const handler = endpoint(routes.listAccessTokens, async ({ caller }) => {
  const tokens = await listOwnAccessTokens(caller)
  return { status: 200, body: { tokens: tokens.map(accessTokenView) } }
})
