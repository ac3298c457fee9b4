import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { decrypt, encrypt, SealError, type Sealer } from './sealer.js'

const PREFIX = 'v1.local.'

/** Writes a new sealing key file (32 random bytes), readable by its owner only. */
export async function writeSealKeyFile(path: string): Promise<void> {
  const file = { key: randomBytes(32).toString('base64url') }
  await writeFile(path, `${JSON.stringify(file)}\n`, { mode: 0o600, flag: 'wx' })
}

/** Seals with the key in a local file (generated on first start in the data folder). */
export function localSealer(path: string): Sealer {
  const key = Buffer.from(JSON.parse(readFileSync(path, 'utf8')).key, 'base64url')
  if (key.length !== 32) throw new SealError(`${path} does not hold a 32-byte key`)
  return {
    seal: async (plaintext, context) => PREFIX + encrypt(key, plaintext, context),
    unseal: async (sealed, context) => {
      if (!sealed.startsWith(PREFIX)) throw new SealError('not sealed by the local key')
      return decrypt(key, sealed.slice(PREFIX.length), context)
    },
  }
}
