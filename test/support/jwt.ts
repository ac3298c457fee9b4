import { signJws } from '../../shared/keys/jws.js'

/**
 * A service JWT signed with the service's own key, as POST /service_token issues them:
 * by default ann, an admin of acme, issued now (the test's clock, when faked), valid 10
 * minutes. `claims` override any of these or add more (`scopes`); a claim set to
 * `undefined` is left out of the token. An `iat` given without `exp` keeps the
 * 10-minute lifetime from it.
 */
export const serviceJwt = (claims: Record<string, unknown> = {}) => {
  const iat = typeof claims.iat === 'number' ? claims.iat : Math.floor(Date.now() / 1000)
  return signJws('JWT', {
    iss: 'latchkey',
    sub: 'ann',
    team: 'acme',
    role: 'admin',
    jti: 'j',
    iat,
    exp: iat + 600,
    ...claims,
  })
}

/** A service JWT of ann, an admin of acme, issued now (the test's clock, when faked). */
export const adminJwt = () => serviceJwt()
