import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { readConfig } from '../shared/config.js'
import { createContext, installContext } from '../shared/context.js'
import { createStore } from '../shared/data/client.js'
import { writeJwtKeyFile } from '../shared/keys/local-jwt-keys.js'
import { writeSealKeyFile } from '../shared/keys/local-sealer.js'
import { bootstrap } from './bootstrap.js'
import { ensureTable } from './ensure-table.js'
import { startServer } from './server.js'

/** Key files made for one app, removed with it (a test run starts hundreds of apps). */
const keyFile = async (
  made: string[],
  prefix: string,
  name: string,
  write: (path: string) => Promise<unknown>,
) => {
  const path = join(await mkdtemp(join(tmpdir(), prefix)), name)
  made.push(dirname(path))
  await write(path)
  return path
}

/**
 * A whole local Latchkey on a given DynamoDB endpoint: a fresh table, a
 * bootstrapped team and the real local server on a free port. Used by the tests
 * and the benchmark (one per process: it installs the process's context).
 */
export async function startApp(options: {
  endpoint: string
  team?: string
  stream?: boolean
  /** Settings beyond this process's environment (e.g. a local STS stand-in). */
  env?: NodeJS.ProcessEnv
  /** The local IAM emulation (local/iam.ts); on unless turned off (the bench). */
  emulateIam?: boolean
}) {
  const made: string[] = []
  const config = readConfig({
    ...process.env,
    ...options.env,
    DYNAMODB_ENDPOINT: options.endpoint,
    TABLE_NAME: `latchkey-${randomUUID()}`,
    JWT_KEY_FILE:
      process.env.JWT_KEY_FILE ||
      (await keyFile(made, 'latchkey-keys-', 'jwt-keys.json', writeJwtKeyFile)),
    SEAL_KEY_FILE:
      process.env.SEAL_KEY_FILE ||
      (await keyFile(made, 'latchkey-seal-', 'seal-key.json', writeSealKeyFile)),
  })
  // The service's store on the deployed transport; the SDK's for the table's set-up and
  // for the tests' own reads and writes, which look at the table beside the service.
  const { dynamo, tableName } = installContext(createContext(config, 'lean')).store
  const inspector = createStore(config)
  await ensureTable(inspector.dynamo, tableName, { stream: options.stream ?? true })
  const admin = await bootstrap(options.team ?? 'acme')
  if (!admin) throw new Error('bootstrap did not run on a fresh table')
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    exampleTeam: options.team ?? 'acme',
    emulateIam: options.emulateIam,
  })
  return {
    url: server.url,
    admin,
    /** The SDK's document client, for a test's own reads and writes beside the service. */
    db: inspector.db,
    /** The SDK's client: the table's stream, anything the service's transport doesn't do. */
    sdk: inspector.dynamo,
    /** The service's client: middleware added to its stack sees every call the service makes. */
    dynamo,
    tableName,
    close: async () => {
      inspector.dynamo.destroy()
      await server.close()
      await Promise.all(made.map((folder) => rm(folder, { recursive: true, force: true })))
    },
  }
}
