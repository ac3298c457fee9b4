import 'aws-sdk-client-mock-vitest/extend'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeJwtKeyFile } from '../../shared/keys/local-jwt-keys.js'
import { writeSealKeyFile } from '../../shared/keys/local-sealer.js'

// Functions check their key configuration at load: give each test file a key file.
if (!process.env.JWT_KEY_FILE) {
  const keyFile = join(await mkdtemp(join(tmpdir(), 'latchkey-unit-keys-')), 'jwt-keys.json')
  await writeJwtKeyFile(keyFile)
  process.env.JWT_KEY_FILE = keyFile
}

if (!process.env.SEAL_KEY_FILE) {
  const sealFile = join(await mkdtemp(join(tmpdir(), 'latchkey-unit-seal-')), 'seal-key.json')
  await writeSealKeyFile(sealFile)
  process.env.SEAL_KEY_FILE = sealFile
}
