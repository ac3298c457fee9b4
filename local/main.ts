/**
 * `npm start` (its entry is local/start.ts): the real handlers behind a local HTTP server,
 * on DynamoDB Local kept on disk under the data folder (or an existing DynamoDB via DYNAMODB_ENDPOINT).
 * Lifecycle and event lines are structured JSON like the request lines; the first
 * credentials, shown once, are the only plain text.
 */
// The SDK versions are pinned (see README); its Node 22 notice is noise on every start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { handler as sweeperHandler } from '../functions/sweeper/run.js'
import { readConfig } from '../shared/config.js'
import { createContext, installContext } from '../shared/context.js'
import { createStore } from '../shared/data/client.js'
import { auditingSink } from '../shared/events/audit.js'
import { loadKeySources } from '../shared/keys/index.js'
import { writeJwtKeyFile } from '../shared/keys/local-jwt-keys.js'
import { writeSealKeyFile } from '../shared/keys/local-sealer.js'
import { sealer as loadSealer } from '../shared/keys/sealing.js'
import { log } from '../shared/log.js'
import { NAME_PATTERN, NAME_RULE } from '../shared/names.js'
import { sweeperTableActions } from '../shared/routes.js'
import { bootstrap } from './bootstrap.js'
import { awaitTransactionCommits } from './commit-barrier.js'
import { type DynamoDbLocal, LaunchError, launchDynamoDbLocal } from './dynamodb.js'
import { ensureTable } from './ensure-table.js'
import { fileSink } from './event-sink.js'
import { withGrants } from './iam.js'
import { acquireLock, DataDirLocked, type Lock } from './lock.js'
import { startServer } from './server.js'
import { announceStore, withdrawStore } from './store.js'
import { startStreamPoller } from './stream-poller.js'

const startedAt = performance.now()

const HELP = `usage: npm start [-- --in-memory] [-- --help]

Runs Latchkey locally: every route's real handler behind a local HTTP server, on
Amazon's DynamoDB Local (Java 17+) with its files in the data folder. The first start
creates a team and its admin and prints their password and token once.

  --in-memory   a throwaway store: nothing is written to disk
  --help        this text

Environment: PORT (3000), HOST (127.0.0.1), LATCHKEY_DATA_DIR (.latchkey),
LATCHKEY_TEAM (main), LATCHKEY_SWEEP_INTERVAL_SECONDS (300; 0: off),
DYNAMODB_ENDPOINT + TABLE_NAME (an existing DynamoDB instead),
LOG_LEVEL (info). One npm start per data folder.`

function fail(message: string): never {
  console.error(`latchkey: ${message}`)
  process.exit(1)
}

function settings() {
  const args = process.argv.slice(2)
  if (args.includes('--help') || args.includes('-h')) {
    console.log(HELP)
    process.exit(0)
  }
  const unknown = args.filter((arg) => arg !== '--in-memory')
  if (unknown.length > 0) fail(`unknown argument ${unknown[0]}; see npm start -- --help`)
  const port = Number(process.env.PORT ?? 3000)
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('PORT must be a port number')
  const sweepSeconds = Number(process.env.LATCHKEY_SWEEP_INTERVAL_SECONDS ?? 300)
  if (!Number.isInteger(sweepSeconds) || sweepSeconds < 0)
    fail('LATCHKEY_SWEEP_INTERVAL_SECONDS must be a whole number of seconds (0: off)')
  const team = process.env.LATCHKEY_TEAM ?? 'main'
  if (!NAME_PATTERN.test(team)) fail(`LATCHKEY_TEAM must be ${NAME_RULE}`)
  return {
    inMemory: args.includes('--in-memory'),
    dataDir: resolve(process.env.LATCHKEY_DATA_DIR ?? '.latchkey'),
    port,
    host: process.env.HOST ?? '127.0.0.1',
    team,
    sweepIntervalMs: sweepSeconds * 1000,
  }
}

/** Fails fast (before Java starts) when the port is taken. */
function checkPort(port: number, host: string): Promise<void> {
  if (port === 0) return Promise.resolve()
  return new Promise((done) => {
    const probe = createServer()
    probe.once('error', (error: NodeJS.ErrnoException) =>
      fail(
        error.code === 'EADDRINUSE'
          ? `port ${port} on ${host} is in use: stop what listens there, or set PORT`
          : `cannot listen on ${host}:${port}: ${error.message}`,
      ),
    )
    probe.listen(port, host, () => probe.close(() => done()))
  })
}

/**
 * Key files: with the data on disk, made on first start beside it (0600). In memory,
 * made in a private folder (in RAM where /dev/shm exists) that is removed as soon as
 * the handlers have read them, so nothing is left on disk.
 */
async function prepareKeys(options: ReturnType<typeof settings>, env: NodeJS.ProcessEnv) {
  const folder = options.inMemory
    ? await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'latchkey-'))
    : options.dataDir
  if (!env.JWT_KMS_KEY_ID && !env.JWT_KEY_FILE) {
    const keyFile = join(folder, 'jwt-keys.json')
    if (!existsSync(keyFile)) await writeJwtKeyFile(keyFile)
    env.JWT_KEY_FILE = keyFile
  }
  if (!env.SEAL_KMS_KEY_ID && !env.SEAL_KEY_FILE) {
    const sealFile = join(folder, 'seal-key.json')
    if (!existsSync(sealFile)) await writeSealKeyFile(sealFile)
    env.SEAL_KEY_FILE = sealFile
  }
  return options.inMemory ? () => rm(folder, { recursive: true, force: true }) : async () => {}
}

/**
 * The lifecycle sweeper on a timer, as the EventBridge schedule runs it on AWS: the
 * same handler, under the same grants (local IAM emulation), one run at a time.
 */
function startSweeper(intervalMs: number) {
  if (intervalMs === 0) return { stop: async () => {} }
  let running: Promise<unknown> = Promise.resolve()
  const timer = setInterval(() => {
    running = running
      .then(() => withGrants(sweeperTableActions, () => sweeperHandler()))
      .catch((error) => log('warn', 'sweep failed', { reason: (error as Error).message }))
  }, intervalMs)
  timer.unref()
  return {
    stop: async () => {
      clearInterval(timer)
      await running
    },
  }
}

async function main() {
  const options = settings()
  await checkPort(options.port, options.host)
  let lock: Lock | undefined
  if (!options.inMemory) {
    await mkdir(options.dataDir, { recursive: true, mode: 0o700 })
    lock = await acquireLock(options.dataDir, (message, fields) =>
      log('warn', message, { dataDir: options.dataDir, ...fields }),
    ).catch((error) => fail(error instanceof DataDirLocked ? error.message : String(error)))
  }
  // Released whatever way this process ends (a signal handler calls exit).
  process.once('exit', () => lock?.release())

  // The service's configuration: this environment, plus the store and keys made here.
  const env: NodeJS.ProcessEnv = { ...process.env }
  let dynamodb: DynamoDbLocal | undefined
  if (process.env.DYNAMODB_ENDPOINT) {
    if (!process.env.TABLE_NAME) fail('TABLE_NAME must be set with DYNAMODB_ENDPOINT')
  } else {
    dynamodb = await launchDynamoDbLocal({
      ...(!options.inMemory && { dataDir: join(options.dataDir, 'dynamodb') }),
    }).catch((error) => fail(error instanceof LaunchError ? error.message : String(error)))
    env.DYNAMODB_ENDPOINT = dynamodb.endpoint
    env.TABLE_NAME ||= 'latchkey'
    // A later start finds and stops it if this process dies without doing so.
    await lock?.update({ dynamodbPid: dynamodb.pid })
  }
  const dropKeyFolder = await prepareKeys(options, env)
  const stopDatabase = async () => {
    if (dynamodb && !options.inMemory) await withdrawStore(options.dataDir)
    await dynamodb?.stop()
  }

  try {
    // The service's store on the deployed transport (shared/data/client.ts); the SDK's
    // for setting the table up and for reading its stream, which no function does.
    const { store, config } = installContext(createContext(readConfig(env), 'lean'))
    const { dynamo, tableName } = store
    const setup = createStore(config).dynamo
    // Read now: an in-memory start removes the key files once the server is up.
    loadKeySources()
    loadSealer()

    if (await ensureTable(setup, tableName)) log('info', 'created table', { tableName })
    // On disk, an acknowledged transaction must survive a kill -9 (see commit-barrier.ts).
    if (dynamodb && !options.inMemory) {
      awaitTransactionCommits(dynamo, dynamodb.endpoint, tableName)
    }
    // Events: the table's stream, through the same code as the stream function on AWS.
    const poller = await startStreamPoller({
      dynamo: setup,
      tableName,
      sink: auditingSink(
        fileSink(options.inMemory ? undefined : join(options.dataDir, 'events.jsonl')),
        config.auditRetentionDays,
      ),
      checkpointFile: options.inMemory
        ? undefined
        : join(options.dataDir, 'events.checkpoint.json'),
      intervalMs: 100,
    }).catch((error) => {
      log('warn', 'events are off', { reason: (error as Error).message })
      return undefined
    })
    // The admin CLI finds an on-disk store through the data folder; any other (in memory,
    // or DYNAMODB_ENDPOINT) only when told where, else it would write to another store.
    const reach =
      dynamodb && !options.inMemory
        ? ''
        : `DYNAMODB_ENDPOINT=${env.DYNAMODB_ENDPOINT} TABLE_NAME=${tableName} `
    const newToken = (team: string, username: string) =>
      `${reach}npm run -s latchkey -- token create ${team} ${username} <name>`
    // The first admin exists before the first request can be answered.
    const admin = await bootstrap(options.team)
    if (admin) {
      // Shown once and kept nowhere: only their hashes are stored.
      console.log(
        [
          `Initialised team "${admin.team}" with admin user "${admin.username}". Shown once, kept nowhere:`,
          `  password: ${admin.password}`,
          `  token:    ${admin.token}`,
          `More tokens any time: ${newToken(admin.team, admin.username)}`,
        ].join('\n'),
      )
    }
    const server = await startServer({
      port: options.port,
      host: options.host,
      exampleTeam: options.team,
    }).catch((error) => {
      throw error?.code === 'EADDRINUSE'
        ? new LaunchError(`port ${options.port} on ${options.host} is in use: set PORT`)
        : error
    })
    const sweeper = startSweeper(options.sweepIntervalMs)
    await dropKeyFolder() // loaded by now
    // The admin CLI finds this store through the data folder while we run.
    if (dynamodb && !options.inMemory)
      await announceStore(options.dataDir, {
        endpoint: dynamodb.endpoint,
        tableName,
        pid: process.pid,
      })
    await lock?.update({ url: server.url })
    log('info', `Latchkey ready on ${server.url}`, {
      event: 'ready',
      url: server.url,
      team: options.team,
      firstStart: admin !== undefined,
      store: options.inMemory ? 'in-memory' : dynamodb ? options.dataDir : 'DYNAMODB_ENDPOINT',
      startupMs: Math.round(performance.now() - startedAt),
      ...(!admin && {
        newToken: newToken(options.team, 'admin'),
      }),
    })

    let stopping = false
    const shutdown = async (signal: string) => {
      if (stopping) return
      stopping = true
      log('info', 'stopping', { event: 'stopping', signal })
      await server.close()
      await sweeper.stop()
      await poller?.stop()
      await stopDatabase()
      log('info', 'stopped', { event: 'stopped', signal })
      process.exit(0)
    }
    process.on('SIGINT', () => void shutdown('SIGINT'))
    process.on('SIGTERM', () => void shutdown('SIGTERM'))
  } catch (error) {
    await stopDatabase()
    await dropKeyFolder()
    fail(error instanceof LaunchError ? error.message : ((error as Error).stack ?? String(error)))
  }
}

await main()
