import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * One `npm start` per data folder: a lock file naming the running service, taken
 * with an exclusive create, removed on exit, and taken over when the process it
 * names is gone (a crash or kill -9), after stopping the DynamoDB Local it left.
 */
export interface LockHolder {
  pid: number
  /** `npm start`, or an admin CLI command working on the files while no service runs. */
  role?: 'service' | 'cli'
  startedAt: string
  url?: string
  dynamodbPid?: number
}

export class DataDirLocked extends Error {
  override name = 'DataDirLocked'
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    super(
      holder.role === 'cli'
        ? `${dataDir} is in use by an admin CLI command (pid ${holder.pid}): try again when it is done`
        : `${dataDir} is in use by another npm start (pid ${holder.pid}${holder.url ? `, ${holder.url}` : ', starting'}): stop it first, or set LATCHKEY_DATA_DIR`,
    )
  }
}

export interface Lock {
  update(fields: Partial<LockHolder>): Promise<void>
  /** Synchronous so that it also runs from an `exit` handler. */
  release(): void
}

const fileIn = (dataDir: string) => join(dataDir, 'latchkey.lock')

/** The command line of a live process, or undefined when there is none. */
function commandOf(pid: number): string | undefined {
  try {
    return execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim()
  } catch {
    return undefined // ps exits 1 when no such process
  }
}

/** Alive and still Latchkey (a pid reused after a reboot is not ours). */
const holderAlive = (holder: LockHolder) =>
  holder.pid === process.pid ||
  (holder.role === 'cli' ? /latchkey|run\.mjs/ : /start/).test(commandOf(holder.pid) ?? '')

/** Stops a DynamoDB Local left by a crashed start, if it is still running on this folder. */
async function stopOrphan(pid: number, dataDir: string): Promise<boolean> {
  if (!commandOf(pid)?.includes(`-dbPath ${join(dataDir, 'dynamodb')}`)) return false
  process.kill(pid, 'SIGTERM')
  for (let waited = 0; waited < 5000 && commandOf(pid); waited += 100)
    await new Promise((resolve) => setTimeout(resolve, 100))
  if (commandOf(pid)) process.kill(pid, 'SIGKILL')
  return true
}

const readHolder = async (path: string): Promise<LockHolder | undefined> => {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockHolder
  } catch {
    return undefined
  }
}

export async function acquireLock(
  dataDir: string,
  notice: (message: string, fields: Record<string, unknown>) => void,
  role: LockHolder['role'] = 'service',
): Promise<Lock> {
  const path = fileIn(dataDir)
  let holder: LockHolder = { pid: process.pid, role, startedAt: new Date().toISOString() }
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(path, `${JSON.stringify(holder)}\n`, { flag: 'wx', mode: 0o600 })
      return {
        update: async (fields) => {
          holder = { ...holder, ...fields }
          await writeFile(path, `${JSON.stringify(holder)}\n`, { mode: 0o600 })
        },
        release: () => {
          // Only our own lock: never one a later start took over.
          try {
            if (JSON.parse(readFileSync(path, 'utf8')).pid === process.pid) rmSync(path)
          } catch {}
        },
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const found = await readHolder(path)
    if (found && holderAlive(found)) throw new DataDirLocked(dataDir, found)
    // Left by a start that is gone: stop what it left running, then take over.
    const orphan = found?.dynamodbPid ? await stopOrphan(found.dynamodbPid, dataDir) : false
    notice('recovered a stale lock', { stalePid: found?.pid, stoppedOrphanDynamoDb: orphan })
    await rm(path, { force: true })
  }
  throw new Error(`could not take the lock ${path}`)
}
