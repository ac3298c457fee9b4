import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { acquireLock, DataDirLocked } from '../../local/lock.js'

/** One npm start (or CLI command on the files) per data folder. */
let folder: string
const lockFile = () => join(folder, 'latchkey.lock')
const quiet = () => {}
/** A pid that belonged to a process now gone. */
const deadPid = () => spawnSync('true').pid

beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'latchkey-lock-unit-'))
})
afterEach(() => rm(folder, { recursive: true, force: true }))

describe('the data folder lock', () => {
  it('is exclusive while its holder lives, names it, and is released only by it', async () => {
    const lock = await acquireLock(folder, quiet)
    await lock.update({ url: 'http://127.0.0.1:3000' })
    const refused = await acquireLock(folder, quiet).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(DataDirLocked)
    expect((refused as Error).message).toBe(
      `${folder} is in use by another npm start (pid ${process.pid}, http://127.0.0.1:3000): stop it first, or set LATCHKEY_DATA_DIR`,
    )
    lock.release()
    expect(existsSync(lockFile())).toBe(false)
    const again = await acquireLock(folder, quiet, 'cli')
    expect(JSON.parse(await readFile(lockFile(), 'utf8'))).toMatchObject({
      pid: process.pid,
      role: 'cli',
    })
    // A lock someone else took over meanwhile is not ours to remove.
    await writeFile(lockFile(), JSON.stringify({ pid: deadPid(), startedAt: 'x' }))
    again.release()
    expect(existsSync(lockFile())).toBe(true)
  })

  it('takes over a lock whose holder is gone (a crash, kill -9), and says so', async () => {
    await writeFile(
      lockFile(),
      JSON.stringify({ pid: deadPid(), startedAt: 'x', dynamodbPid: deadPid() }),
    )
    const notices: Record<string, unknown>[] = []
    const lock = await acquireLock(folder, (_, fields) => notices.push(fields))
    expect(notices).toEqual([{ stalePid: expect.any(Number), stoppedOrphanDynamoDb: false }])
    expect(JSON.parse(await readFile(lockFile(), 'utf8')).pid).toBe(process.pid)
    lock.release()
  })
})
