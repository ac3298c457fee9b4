import { createPublicKey } from 'node:crypto'
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms'
import type { JWK } from 'jose'
import { JWT_ALG, type JwtKeySource } from './jwt-keys.js'

/**
 * KMS returns ECDSA signatures DER-encoded (SEQUENCE of two INTEGERs); JWS ES256 wants
 * the fixed 64-byte r || s form.
 */
export function derToJose(der: Uint8Array): Uint8Array {
  const read = (offset: number) => {
    if (der[offset] !== 0x02) throw new Error('not a DER INTEGER')
    const length = der[offset + 1] ?? 0
    const value = der.subarray(offset + 2, offset + 2 + length)
    const trimmed = value[0] === 0 ? value.subarray(1) : value // sign byte
    const out = new Uint8Array(32)
    out.set(trimmed, 32 - trimmed.length)
    return { out, next: offset + 2 + length }
  }
  if (der[0] !== 0x30) throw new Error('not a DER SEQUENCE')
  const start = (der[1] ?? 0) & 0x80 ? 2 + ((der[1] ?? 0) & 0x7f) : 2
  const r = read(start)
  const s = read(r.next)
  const jose = new Uint8Array(64)
  jose.set(r.out, 0)
  jose.set(s.out, 32)
  return jose
}

/**
 * Keys in KMS: the private key never leaves it. Signing is a KMS call; the public keys
 * are fetched once per cold start of the signer, which publishes them to the table
 * for every verifier (shared/keys/index.ts), so only the signer talks to KMS.
 */
export function kmsJwtKeys(
  client: KMSClient,
  keyId: string,
  previousKeyIds: string[],
): JwtKeySource {
  let keys: Promise<JWK[]> | undefined
  const publicKey = async (id: string): Promise<JWK> => {
    const { PublicKey, KeyId } = await client.send(new GetPublicKeyCommand({ KeyId: id }))
    if (!PublicKey) throw new Error(`KMS returned no public key for ${id}`)
    const jwk = createPublicKey({
      key: Buffer.from(PublicKey),
      format: 'der',
      type: 'spki',
    }).export({
      format: 'jwk',
    }) as JWK
    return { ...jwk, kid: kidOf(KeyId ?? id), alg: JWT_ALG, use: 'sig' }
  }
  return {
    signer: async () => ({
      kid: kidOf(keyId),
      sign: async (data) => {
        const { Signature } = await client.send(
          new SignCommand({
            KeyId: keyId,
            Message: data,
            MessageType: 'RAW',
            SigningAlgorithm: 'ECDSA_SHA_256',
          }),
        )
        if (!Signature) throw new Error('KMS returned no signature')
        return derToJose(Signature)
      },
    }),
    publicKeys: () => {
      keys ??= Promise.all([keyId, ...previousKeyIds].map(publicKey)).catch((error) => {
        keys = undefined // retry on the next request rather than caching a failure
        throw error
      })
      return keys
    },
  }
}

/** A key's id without its ARN prefix, as the JWT `kid`. */
const kidOf = (keyIdOrArn: string) => keyIdOrArn.split('/').pop() ?? keyIdOrArn

export const createKmsClient = (region: string) => new KMSClient({ region })
