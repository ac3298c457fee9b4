import { deleteAllOwnAccessTokens } from '../../shared/domain/access-tokens.js'
import { endpoint } from '../../shared/http/endpoint.js'
import { noContent } from '../../shared/http/response.js'
import * as routes from '../../shared/routes.js'

/** DELETE /api/tokens/delete-all: every token of the caller, the one in use too. */
export const handler = endpoint(routes.deleteAllAccessTokens, async ({ caller }) => {
  await deleteAllOwnAccessTokens(caller)
  return noContent
})
