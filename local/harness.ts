import { randomUUID } from 'node:crypto'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeJwtKeyFile } from '../shared/keys/local-jwt-keys.js'
import { writeSealKeyFile } from '../shared/keys/local-sealer.js'

/**
 * A whole local Latchkey on a given DynamoDB endpoint: a fresh table, a
 * bootstrapped team and the real local server on a free port. Used by the tests
 * and the benchmark. Modules read their configuration when they load, so they are
 * imported only after the environment names the table (once per process).
 */
export async function startApp(options: { endpoint: string; team?: string; stream?: boolean }) {
  process.env.DYNAMODB_ENDPOINT = options.endpoint
  process.env.TABLE_NAME = `latchkey-${randomUUID()}`
  if (!process.env.JWT_KEY_FILE) {
    const keyFile = join(await mkdtemp(join(tmpdir(), 'latchkey-keys-')), 'jwt-keys.json')
    await writeJwtKeyFile(keyFile)
    process.env.JWT_KEY_FILE = keyFile
  }
  if (!process.env.SEAL_KEY_FILE) {
    const sealFile = join(await mkdtemp(join(tmpdir(), 'latchkey-seal-')), 'seal-key.json')
    await writeSealKeyFile(sealFile)
    process.env.SEAL_KEY_FILE = sealFile
  }
  const { dynamo, db, tableName } = await import('../shared/data/client.js')
  const { ensureTable } = await import('./ensure-table.js')
  const { bootstrap } = await import('./bootstrap.js')
  const { startServer } = await import('./server.js')

  await ensureTable(dynamo, tableName, { stream: options.stream ?? true })
  const admin = await bootstrap(options.team ?? 'acme')
  if (!admin) throw new Error('bootstrap did not run on a fresh table')
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    exampleTeam: options.team ?? 'acme',
  })
  return { url: server.url, admin, db, dynamo, tableName, close: () => server.close() }
}
