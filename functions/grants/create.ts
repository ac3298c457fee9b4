import { createTokenByPassword, createTokenByToken, grantView } from '../../shared/domain/grants.js'
import { endpoint } from '../../shared/http/endpoint.js'
import * as routes from '../../shared/routes.js'

/**
 * POST /tokens (and /tokens/: the trailing slash never changes the meaning). With a
 * credential (?token= or Bearer) it is the token grant, otherwise the password grant.
 * `tokenName` may be in the body or the query.
 */
export const handler = endpoint(routes.createTokenByGrant, async ({ caller, body, query }) => {
  const tokenName = body?.tokenName ?? query.tokenName
  const { accessKey, token } = caller
    ? await createTokenByToken(caller, tokenName, body)
    : await createTokenByPassword({ ...body, tokenName })
  return { status: 200, body: grantView(accessKey, token) }
})
