import { json } from '../../shared/http/response.js'
import { publicEndpoint } from '../../shared/http/stack.js'
import { jwtKeys } from '../../shared/keys/index.js'
import * as routes from '../../shared/routes.js'

/** GET /.well-known/jwks.json: current and still-valid previous verification keys. */
export const handler = publicEndpoint(routes.jwks, async () =>
  json(200, { keys: await jwtKeys.publicKeys() }, { 'cache-control': 'public, max-age=300' }),
)
