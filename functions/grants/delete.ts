import { deleteOwnAccessToken } from '../../shared/domain/access-tokens.js'
import { endpoint } from '../../shared/http/endpoint.js'
import { noContent } from '../../shared/http/response.js'
import * as routes from '../../shared/routes.js'

/** DELETE /tokens/{tokenId}?token=: the same rules as DELETE /api/tokens/{tokenId}. */
export const handler = endpoint(routes.deleteTokenByGrant, async ({ caller, params }) => {
  await deleteOwnAccessToken(caller, Number(params.tokenId))
  return noContent
})
