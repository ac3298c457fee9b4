import type { JWK } from 'jose'

/** Signs JWS input bytes with the current key: a raw ES256 signature (r || s, 64 bytes). */
export interface JwtSigner {
  kid: string
  sign(data: Uint8Array): Promise<Uint8Array>
}

/**
 * Where service-token keys live: a key file locally, KMS on AWS. The current key
 * signs; previous keys stay in `publicKeys` so tokens they signed verify until expiry.
 */
export interface JwtKeySource {
  signer(): Promise<JwtSigner>
  publicKeys(): Promise<JWK[]>
}

export const JWT_ALG = 'ES256'

/** Service bearer tokens live one hour (API.md); retired keys must outlive them. */
export const SERVICE_TOKEN_SECONDS = 3600

/** How soon a container may read the published keys again (a rotation, a new `kid`). */
export const KEY_REFRESH_MS = 30_000

/** A loader's result, reused for `maxAgeMs`; a failure is not kept. */
export function reusedFor<T>(maxAgeMs: number, load: () => Promise<T>): () => Promise<T> {
  let cached: { value: Promise<T>; at: number } | undefined
  return () => {
    if (!cached || Date.now() - cached.at >= maxAgeMs) {
      const value = load()
      cached = { value, at: Date.now() }
      value.catch(() => {
        if (cached?.value === value) cached = undefined
      })
    }
    return cached.value
  }
}
