import { readFile } from 'node:fs/promises'
import { SERVICE_TOKEN_SECONDS } from '../shared/keys/jwt-keys.js'
import { type JwtKeyFile, writeJwtKeyFile } from '../shared/keys/local-jwt-keys.js'
import { CliError } from './errors.js'

/*
 * Kept apart from actions.ts: rotating the local key needs the key file alone, and
 * the data layer reads (and checks) TABLE_NAME and AWS_REGION as it loads.
 */

/**
 * Rotates the local signing key. Retired keys stay published while tokens they
 * signed can still be alive (one token lifetime), then go.
 */
export async function rotateKeys(path: string, at = Date.now()): Promise<string> {
  let file: JwtKeyFile
  try {
    file = JSON.parse(await readFile(path, 'utf8'))
  } catch {
    throw new CliError(`no key file at ${path}: run npm start once to create it`)
  }
  const alive = file.previous.filter(
    (key) => key.retiredAt === undefined || at - key.retiredAt < SERVICE_TOKEN_SECONDS * 1000,
  )
  const rotated = await writeJwtKeyFile(path, { ...file, previous: alive }, at)
  return `Rotated: signing with key ${rotated.current.kid}; ${rotated.previous.length} retired key(s) still verify.`
}
