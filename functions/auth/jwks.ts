import { json } from '../../shared/http/response.js'
import { publicEndpoint } from '../../shared/http/stack.js'
import { jwtPublicKeys } from '../../shared/keys/index.js'
import { KEY_REFRESH_MS, reusedFor } from '../../shared/keys/jwt-keys.js'
import * as routes from '../../shared/routes.js'

/** Read at most once per KEY_REFRESH_MS per container (clients cache for 5 minutes). */
const published = reusedFor(KEY_REFRESH_MS, jwtPublicKeys)

/** GET /.well-known/jwks.json: current and still-valid previous verification keys. */
export const handler = publicEndpoint(routes.jwks, async () =>
  json(200, { keys: await published() }, { 'cache-control': 'public, max-age=300' }),
)
