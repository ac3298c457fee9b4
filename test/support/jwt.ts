import { signJws } from '../../shared/keys/jws.js'

/** A service JWT of ann, an admin of acme, issued now (the test's clock, when faked). */
export const adminJwt = () => {
  const iat = Math.floor(Date.now() / 1000)
  return signJws('JWT', {
    iss: 'latchkey',
    sub: 'ann',
    team: 'acme',
    role: 'admin',
    jti: 'j',
    iat,
    exp: iat + 600,
  })
}
