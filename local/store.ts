import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb'

/**
 * While `npm start` runs, it names its DynamoDB Local in the data folder, so the
 * admin CLI works on the same store through it instead of opening the files twice.
 */
export interface RunningStore {
  endpoint: string
  tableName: string
  pid: number
}

const fileIn = (dataDir: string) => join(dataDir, 'service.json')

export async function announceStore(dataDir: string, store: RunningStore): Promise<void> {
  await writeFile(fileIn(dataDir), `${JSON.stringify(store)}\n`, { mode: 0o600 })
}

export async function withdrawStore(dataDir: string): Promise<void> {
  await rm(fileIn(dataDir), { force: true })
}

/** The running service's store, if the file names one that answers. */
export async function runningStore(dataDir: string): Promise<RunningStore | undefined> {
  let store: RunningStore
  try {
    store = JSON.parse(await readFile(fileIn(dataDir), 'utf8'))
  } catch {
    return undefined
  }
  const client = new DynamoDBClient({
    endpoint: store.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 },
  })
  try {
    await client.send(new ListTablesCommand({ Limit: 1 }))
    return store
  } catch {
    return undefined // a file left by a service that is gone
  } finally {
    client.destroy()
  }
}
