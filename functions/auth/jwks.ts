import { publicJwks } from '../../shared/domain/service-tokens.js'
import { endpoint } from '../../shared/http/endpoint.js'
import { json } from '../../shared/http/response.js'
import { routes } from '../../shared/routes.js'

/** GET /.well-known/jwks.json: current and still-valid previous verification keys. */
export const handler = endpoint(routes.jwks, async () =>
  json(200, await publicJwks(), { 'cache-control': 'public, max-age=300' }),
)
