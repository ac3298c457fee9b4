import { deleteOwnAccessToken } from '../../shared/domain/access-tokens.js'
import { endpoint } from '../../shared/http/endpoint.js'
import { noContent } from '../../shared/http/response.js'
import * as routes from '../../shared/routes.js'

/** DELETE /api/tokens/{tokenId}: 404 unless it is one of the caller's own tokens. */
export const handler = endpoint(routes.deleteAccessToken, async ({ caller, params }) => {
  await deleteOwnAccessToken(caller, Number(params.tokenId))
  return noContent
})
