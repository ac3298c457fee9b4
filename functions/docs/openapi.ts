import document from '../../docs/openapi.json' with { type: 'json' }
import { publicEndpoint } from '../../shared/http/stack.js'
import * as routes from '../../shared/routes.js'

/** GET /openapi.json: the document `npm run docs` generates from the route table. */
export const handler = publicEndpoint(routes.openApi, async () => ({
  status: 200,
  body: document,
}))
