import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  sign,
} from 'node:crypto'
import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import type { JWK } from 'jose'
import { JWT_ALG, type JwtKeySource } from './jwt-keys.js'

/** `<data dir>/jwt-keys.json`, mode 0600: the current private key, previous public keys. */
export interface JwtKeyFile {
  current: { kid: string; privateKey: JWK }
  /** Retired keys, still published so tokens they signed verify; `retiredAt` in epoch ms. */
  previous: { kid: string; publicKey: JWK; retiredAt?: number }[]
}

const publicJwk = (kid: string, key: JWK): JWK => {
  const { kty, crv, x, y } = key
  return { kty, crv, x, y, kid, alg: JWT_ALG, use: 'sig' }
}

function newCurrent(): JwtKeyFile['current'] {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return { kid: randomUUID(), privateKey: privateKey.export({ format: 'jwk' }) as JWK }
}

/** Writes a new key file, keeping the old current key verifiable when rotating. */
export async function writeJwtKeyFile(
  path: string,
  rotateFrom?: JwtKeyFile,
  retiredAt = Date.now(),
): Promise<JwtKeyFile> {
  const file: JwtKeyFile = {
    current: newCurrent(),
    previous: rotateFrom
      ? [
          {
            kid: rotateFrom.current.kid,
            publicKey: publicJwk(rotateFrom.current.kid, rotateFrom.current.privateKey),
            retiredAt,
          },
          ...rotateFrom.previous,
        ]
      : [],
  }
  await writeFile(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 })
  return file
}

/** Keys from a key file, read once (at cold start). */
export function localJwtKeys(path: string): JwtKeySource {
  const file = JSON.parse(readFileSync(path, 'utf8')) as JwtKeyFile
  const privateKey = createPrivateKey({ key: file.current.privateKey as never, format: 'jwk' })
  const current = publicJwk(
    file.current.kid,
    createPublicKey(privateKey).export({ format: 'jwk' }) as JWK,
  )
  const keys = [current, ...file.previous.map((p) => publicJwk(p.kid, p.publicKey))]
  return {
    signer: async () => ({
      kid: file.current.kid,
      sign: async (data) => sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' }),
    }),
    publicKeys: async () => keys,
  }
}
