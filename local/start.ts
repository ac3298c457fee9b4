/**
 * `npm start`: the real handlers behind a local HTTP server, on DynamoDB Local kept
 * on disk under the data folder (or an existing DynamoDB via DYNAMODB_ENDPOINT).
 */
// The SDK versions are pinned (see README); its Node 22 notice is noise on every start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { writeJwtKeyFile } from '../shared/keys/local-jwt-keys.js'
import { writeSealKeyFile } from '../shared/keys/local-sealer.js'
import { NAME_PATTERN, NAME_RULE } from '../shared/names.js'
import { type DynamoDbLocal, LaunchError, launchDynamoDbLocal } from './dynamodb.js'
import { announceStore, withdrawStore } from './store.js'

const USAGE = 'usage: npm start [-- --in-memory]'

function fail(message: string): never {
  console.error(`latchkey: ${message}`)
  process.exit(1)
}

function settings() {
  const args = process.argv.slice(2)
  const unknown = args.filter((arg) => arg !== '--in-memory')
  if (unknown.length > 0) fail(`unknown argument ${unknown[0]}; ${USAGE}`)
  const port = Number(process.env.PORT ?? 3000)
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('PORT must be a port number')
  const team = process.env.LATCHKEY_TEAM ?? 'main'
  if (!NAME_PATTERN.test(team)) fail(`LATCHKEY_TEAM must be ${NAME_RULE}`)
  return {
    inMemory: args.includes('--in-memory'),
    dataDir: resolve(process.env.LATCHKEY_DATA_DIR ?? '.latchkey'),
    port,
    host: process.env.HOST ?? '127.0.0.1',
    team,
  }
}

async function main() {
  const options = settings()
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 })
  let dynamodb: DynamoDbLocal | undefined
  if (process.env.DYNAMODB_ENDPOINT) {
    if (!process.env.TABLE_NAME) fail('TABLE_NAME must be set with DYNAMODB_ENDPOINT')
  } else {
    dynamodb = await launchDynamoDbLocal({
      ...(!options.inMemory && { dataDir: join(options.dataDir, 'dynamodb') }),
    }).catch((error) => fail(error instanceof LaunchError ? error.message : String(error)))
    process.env.DYNAMODB_ENDPOINT = dynamodb.endpoint
    process.env.TABLE_NAME ??= 'latchkey'
  }
  // Service-token signing keys: generated on first start, kept with the data (0600).
  if (!process.env.JWT_KMS_KEY_ID && !process.env.JWT_KEY_FILE) {
    const keyFile = join(options.dataDir, 'jwt-keys.json')
    if (!existsSync(keyFile)) await writeJwtKeyFile(keyFile)
    process.env.JWT_KEY_FILE = keyFile
  }
  // The key that seals enrollment tokens at rest: generated on first start, 0600.
  if (!process.env.SEAL_KMS_KEY_ID && !process.env.SEAL_KEY_FILE) {
    const sealFile = join(options.dataDir, 'seal-key.json')
    if (!existsSync(sealFile)) await writeSealKeyFile(sealFile)
    process.env.SEAL_KEY_FILE = sealFile
  }
  const stopDatabase = async () => {
    if (dynamodb && !options.inMemory) await withdrawStore(options.dataDir)
    await dynamodb?.stop()
  }

  try {
    // Configuration is read when these load, so they load after the environment is set.
    const { dynamo, tableName } = await import('../shared/data/client.js')
    const { ensureTable } = await import('./ensure-table.js')
    const { bootstrap } = await import('./bootstrap.js')
    const { startServer } = await import('./server.js')

    if (await ensureTable(dynamo, tableName)) console.log(`Created table ${tableName}.`)
    // On disk, an acknowledged transaction must survive a kill -9 (see commit-barrier.ts).
    if (dynamodb && !options.inMemory) {
      const { awaitTransactionCommits } = await import('./commit-barrier.js')
      awaitTransactionCommits(dynamo, dynamodb.endpoint, tableName)
    }
    // The admin CLI finds this store through the data folder while we run.
    if (dynamodb && !options.inMemory)
      await announceStore(options.dataDir, {
        endpoint: dynamodb.endpoint,
        tableName,
        pid: process.pid,
      })
    const server = await startServer({ port: options.port, host: options.host }).catch((error) => {
      throw error?.code === 'EADDRINUSE'
        ? new LaunchError(`port ${options.port} is in use: set PORT to another one`)
        : error
    })
    // Events: the table's stream, through the same code as the stream function on AWS.
    const { startStreamPoller } = await import('./stream-poller.js')
    const { fileSink } = await import('./event-sink.js')
    const poller = await startStreamPoller({
      dynamo,
      tableName,
      sink: fileSink(options.inMemory ? undefined : join(options.dataDir, 'events.jsonl')),
      checkpointFile: options.inMemory
        ? undefined
        : join(options.dataDir, 'events.checkpoint.json'),
      intervalMs: 100,
    }).catch((error) => {
      console.log(`Events are off: ${(error as Error).message}`)
      return undefined
    })
    const admin = await bootstrap(options.team)
    if (admin) {
      // Shown once and kept nowhere: only their hashes are stored.
      console.log(
        [
          `Initialised team "${admin.team}" with admin user "${admin.username}". Shown once, kept nowhere:`,
          `  password: ${admin.password}`,
          `  token:    ${admin.token}`,
          `More tokens any time: npm run -s latchkey -- token create ${admin.team} ${admin.username} <name>`,
        ].join('\n'),
      )
    } else {
      console.log(
        `Store already initialised (team "${options.team}"). A new token for its admin: ` +
          `npm run -s latchkey -- token create ${options.team} admin <name>`,
      )
    }
    console.log(
      `Latchkey listening on ${server.url}${options.inMemory ? ' (in-memory)' : ` (data in ${options.dataDir})`}`,
    )

    let stopping = false
    const shutdown = async (signal: string) => {
      if (stopping) return
      stopping = true
      console.log(`${signal}: stopping`)
      await server.close()
      await poller?.stop()
      await stopDatabase()
      process.exit(0)
    }
    process.on('SIGINT', () => void shutdown('SIGINT'))
    process.on('SIGTERM', () => void shutdown('SIGTERM'))
  } catch (error) {
    await stopDatabase()
    fail(error instanceof LaunchError ? error.message : ((error as Error).stack ?? String(error)))
  }
}

await main()
