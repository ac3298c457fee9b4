import 'aws-sdk-client-mock-vitest/extend'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeJwtKeyFile } from '../../shared/keys/local-jwt-keys.js'

// Functions check their key configuration at load: give each test file a key file.
if (!process.env.JWT_KEY_FILE) {
  const keyFile = join(await mkdtemp(join(tmpdir(), 'latchkey-unit-keys-')), 'jwt-keys.json')
  await writeJwtKeyFile(keyFile)
  process.env.JWT_KEY_FILE = keyFile
}
