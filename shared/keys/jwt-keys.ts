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
