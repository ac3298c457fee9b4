import { methodNotAllowed, notFound } from '../../shared/errors.js'
import { createRouter } from '../../shared/http/router.js'
import { baseStack, lambdaHandler } from '../../shared/http/stack.js'
import { routeList } from '../../shared/routes.js'

const match = createRouter(routeList)

/**
 * API Gateway's `$default` route and the local server's misses: 405 with `Allow`
 * for a known path, else 404, in the contract's error body. No credential is read
 * and no table touched, so it runs on the base stack alone and bundles no SDK.
 */
export const handler = lambdaHandler(
  baseStack().handler(async (event) => {
    const method = event.requestContext.http.method
    const result = match(method, event.rawPath)
    if (result.kind === 'method_not_allowed') throw methodNotAllowed(method, result.allow)
    throw notFound(`The route ${method} ${event.rawPath}`)
  }),
)
