import 'aws-sdk-client-mock-vitest/extend'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { readConfig } from '../../shared/config.js'
import { createContext, installContext } from '../../shared/context.js'
import { writeJwtKeyFile } from '../../shared/keys/local-jwt-keys.js'
import { writeSealKeyFile } from '../../shared/keys/local-sealer.js'

// Each test file's own context: the tier's environment (vitest.config.ts) plus key
// files made for it. A file that resets modules to load a function afresh falls back
// to the environment, as a Lambda container does.
const folder = await mkdtemp(join(tmpdir(), 'latchkey-unit-keys-'))
const keyFile = join(folder, 'jwt-keys.json')
const sealFile = join(folder, 'seal-key.json')
await writeJwtKeyFile(keyFile)
await writeSealKeyFile(sealFile)
installContext(
  createContext(
    readConfig({
      ...process.env,
      JWT_KEY_FILE: process.env.JWT_KEY_FILE || keyFile,
      SEAL_KEY_FILE: process.env.SEAL_KEY_FILE || sealFile,
    }),
  ),
)
// Gone with the file's tests: a run makes one folder per test file.
afterAll(() => rm(folder, { recursive: true, force: true }))
