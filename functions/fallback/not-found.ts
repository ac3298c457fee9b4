import { endpoint } from '../../shared/http/endpoint.js'
import { methodNotAllowed, notFound } from '../../shared/http/errors.js'
import { createRouter } from '../../shared/http/router.js'
import { fallbackHandler, routeList } from '../../shared/routes.js'

const match = createRouter(routeList)
const self = {
  method: 'GET',
  path: '/{proxy+}',
  handler: fallbackHandler,
  auth: 'none',
  summary: 'Answers requests that no route claims.',
  table: [],
} as const

/**
 * API Gateway's `$default` route and the local server's misses: 405 with `Allow`
 * for a known path, else 404, in the contract's error body.
 */
export const handler = endpoint(self, async ({ http }) => {
  const result = match(http.method, http.path)
  if (result.kind === 'method_not_allowed') throw methodNotAllowed(http.method, result.allow)
  throw notFound(`The route ${http.method} ${http.path}`)
})
