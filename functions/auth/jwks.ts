import type { JWK } from 'jose'
import { publicEndpoint } from '../../shared/http/stack.js'
import { jwtPublicKeys } from '../../shared/keys/index.js'
import { KEY_REFRESH_MS, reusedFor } from '../../shared/keys/jwt-keys.js'
import * as routes from '../../shared/routes.js'

/** Read at most once per KEY_REFRESH_MS per container (clients cache for 5 minutes). */
const published = reusedFor(KEY_REFRESH_MS, jwtPublicKeys)

/** Published keys always name their type and id; the guard says so to the checker. */
const identified = (key: JWK): key is JWK & { kty: string; kid: string } =>
  typeof key.kty === 'string' && typeof key.kid === 'string'

/** GET /.well-known/jwks.json: current and still-valid previous verification keys. */
export const handler = publicEndpoint(routes.jwks, async () => ({
  status: 200,
  body: { keys: (await published()).filter(identified) },
}))
