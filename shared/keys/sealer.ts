import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

/**
 * Seals secrets that must be shown again (ASA returns an enrollment token on fetch):
 * AES-256-GCM, with the record's identity as additional data, so a sealed value
 * moved onto another record does not open. Where the AES key comes from differs:
 * a key file locally, a KMS data key on AWS (kms-sealer.ts).
 */
export interface Sealer {
  seal(plaintext: string, context: Record<string, string>): Promise<string>
  unseal(sealed: string, context: Record<string, string>): Promise<string>
}

const IV_BYTES = 12
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url')

/** The context, canonically: sorted keys, so the same record gives the same bytes. */
const aad = (context: Record<string, string>) =>
  Buffer.from(JSON.stringify(Object.entries(context).sort(([a], [b]) => a.localeCompare(b))))

/** `<iv>.<ciphertext>.<tag>`, base64url each. */
export function encrypt(key: Uint8Array, plaintext: string, context: Record<string, string>) {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(aad(context))
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return `${b64(iv)}.${b64(body)}.${b64(cipher.getAuthTag())}`
}

export function decrypt(key: Uint8Array, sealed: string, context: Record<string, string>) {
  const [iv = '', body = '', tag = ''] = sealed.split('.')
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
    .setAAD(aad(context))
    .setAuthTag(Buffer.from(tag, 'base64url'))
  const plain = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()])
  return plain.toString('utf8')
}

export class SealError extends Error {
  override name = 'SealError'
}
