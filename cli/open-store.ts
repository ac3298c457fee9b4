import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { awaitTransactionCommits } from '../local/commit-barrier.js'
import { LaunchError, launchDynamoDbLocal } from '../local/dynamodb.js'
import { ensureTable } from '../local/ensure-table.js'
import { acquireLock, DataDirLocked } from '../local/lock.js'
import { runningStore } from '../local/store.js'
import { readConfig } from '../shared/config.js'
import { contextInstalled, createContext, installContext } from '../shared/context.js'
import { CliError } from './errors.js'

export interface OpenStore {
  close(): Promise<void>
}

/** Installs the context of this command: the environment's, on the store found. */
const useStore = (endpoint: string, tableName: string) =>
  installContext(
    createContext(
      readConfig({ ...process.env, DYNAMODB_ENDPOINT: endpoint, TABLE_NAME: tableName }),
    ),
  ).store

/**
 * Points the data layer at the store the operator means, before it loads:
 * DYNAMODB_ENDPOINT + TABLE_NAME; else TABLE_NAME alone, a table on AWS; else the
 * data folder, through the running service's DynamoDB Local or, when the service is
 * not running, a DynamoDB Local of our own on the same files for this one command.
 */
export async function openStore(dataDir: string): Promise<OpenStore> {
  // Run inside a process that already has its store (the tests' in-process CLI): use it.
  if (contextInstalled()) return { close: async () => {} }
  if (process.env.DYNAMODB_ENDPOINT) {
    if (!process.env.TABLE_NAME)
      throw new LaunchError('TABLE_NAME must be set with DYNAMODB_ENDPOINT')
    return { close: async () => {} }
  }
  if (process.env.TABLE_NAME && !process.env.LATCHKEY_DATA_DIR) return { close: async () => {} }
  const folder = resolve(dataDir)
  const running = await runningStore(folder)
  if (running) {
    useStore(running.endpoint, running.tableName)
    return { close: async () => {} }
  }
  // An operator pointing at the wrong folder should hear so, not get a new empty store.
  if (!existsSync(join(folder, 'dynamodb', 'shared-local-instance.db')))
    throw new CliError(
      `no store in ${folder}: run npm start once to create it, or set LATCHKEY_DATA_DIR (or DYNAMODB_ENDPOINT + TABLE_NAME)`,
    )
  // The files are ours for this command: an npm start beginning meanwhile waits its
  // turn (one line), and so does this command while one is starting.
  const lock = await acquireLock(folder, () => {}, 'cli').catch((error) => {
    throw error instanceof DataDirLocked ? new CliError(error.message) : error
  })
  process.once('exit', () => lock.release())
  // A JVM that lives for one command: C1 only and the serial collector halve its
  // start-up (measured: about 5.5 s of CPU down to 2.7 s). npm start keeps Java's
  // defaults, which serve a long-running store better.
  const dynamodb = await launchDynamoDbLocal({
    dataDir: resolve(folder, 'dynamodb'),
    extraJavaOptions: ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xshare:auto'],
  })
  await lock.update({ dynamodbPid: dynamodb.pid })
  const { dynamo, tableName } = useStore(dynamodb.endpoint, process.env.TABLE_NAME || 'latchkey')
  await ensureTable(dynamo, tableName)
  const barrier = awaitTransactionCommits(dynamo, dynamodb.endpoint, tableName)
  return {
    close: async () => {
      barrier.close()
      await dynamodb.stop()
      lock.release()
    },
  }
}
