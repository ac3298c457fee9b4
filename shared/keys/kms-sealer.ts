import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms'
import { decrypt, encrypt, SealError, type Sealer } from './sealer.js'

const PREFIX = 'v1.kms.'
/** Binds every data key to this use of the KMS key. */
const KEY_CONTEXT = { purpose: 'latchkey-seal' }

/**
 * Envelope encryption: each container asks KMS for one data key (GenerateDataKey) and
 * seals locally with it, storing the KMS-encrypted data key beside each value. Opening
 * asks KMS to decrypt a data key once per distinct key per container, so a list of
 * sealed values costs a handful of KMS calls on a cold container and none when warm.
 * The plaintext data key only ever lives in memory.
 */
export function kmsSealer(kms: KMSClient, keyId: string): Sealer {
  let current: Promise<{ plain: Uint8Array; encrypted: string }> | undefined
  const opened = new Map<string, Promise<Uint8Array>>()

  const dataKey = () => {
    current ??= kms
      .send(
        new GenerateDataKeyCommand({
          KeyId: keyId,
          KeySpec: 'AES_256',
          EncryptionContext: KEY_CONTEXT,
        }),
      )
      .then(({ Plaintext, CiphertextBlob }) => {
        if (!Plaintext || !CiphertextBlob) throw new SealError('KMS returned no data key')
        const encrypted = Buffer.from(CiphertextBlob).toString('base64url')
        opened.set(encrypted, Promise.resolve(Plaintext))
        return { plain: Plaintext, encrypted }
      })
      .catch((error) => {
        current = undefined // ask again next time rather than caching the failure
        throw error
      })
    return current
  }

  const open = (encrypted: string) => {
    let key = opened.get(encrypted)
    if (!key) {
      key = kms
        .send(
          new DecryptCommand({
            CiphertextBlob: Buffer.from(encrypted, 'base64url'),
            EncryptionContext: KEY_CONTEXT,
            KeyId: keyId,
          }),
        )
        .then(({ Plaintext }) => {
          if (!Plaintext) throw new SealError('KMS returned no plaintext')
          return Plaintext
        })
      key.catch(() => opened.delete(encrypted))
      opened.set(encrypted, key)
    }
    return key
  }

  return {
    async seal(plaintext, context) {
      const { plain, encrypted } = await dataKey()
      return `${PREFIX}${encrypted}.${encrypt(plain, plaintext, context)}`
    },
    async unseal(sealed, context) {
      if (!sealed.startsWith(PREFIX)) throw new SealError('not sealed with KMS')
      const [encrypted = '', ...rest] = sealed.slice(PREFIX.length).split('.')
      return decrypt(await open(encrypted), rest.join('.'), context)
    },
  }
}
