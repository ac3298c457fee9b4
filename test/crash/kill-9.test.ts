import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../../local/dynamodb.js'

/**
 * `npm start` on disk, killed with SIGKILL (the whole process group: Node and its
 * DynamoDB Local) in the middle of a stream of transactional writes (token creates),
 * again and again. Every write the service acknowledged must be there after the
 * restart, and every one of them must have its event, redeliveries sharing one id.
 * KILLS (default 20) sets the number of kills; CRASH_SECONDS (default 60) bounds the
 * time spent on them (at least 5 kills), as a restart takes 3 s on a quiet machine and
 * several times that on a busy one.
 */
const root = new URL('../..', import.meta.url).pathname
const KILLS = Number(process.env.KILLS ?? 20)
const SECONDS = Number(process.env.CRASH_SECONDS ?? 60)
const WRITERS = 8

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface Running {
  child: ChildProcess
  output: () => string
  exited: Promise<void>
}

async function start(dataDir: string, port: number): Promise<Running> {
  const { DYNAMODB_ENDPOINT, TABLE_NAME, ...inherited } = process.env
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
    cwd: root,
    detached: true, // its own process group, so one kill takes Node and Java together
    env: {
      ...inherited,
      LATCHKEY_DATA_DIR: dataDir,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      // C1 only: Java starts in about 1 s instead of 4 on 2 busy cores; same storage code.
      LATCHKEY_DYNAMODB_JAVA_OPTS: '-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  const exited = new Promise<void>((done) => child.once('exit', () => done()))
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start exited:\n${output}`)
    if (Date.now() > deadline) throw new Error(`npm start not ready in 60 s:\n${output}`)
    // npm start answers nothing before its first admin exists: an answer means ready.
    const ready = await fetch(`http://127.0.0.1:${port}/.well-known/jwks.json`)
      .then((res) => res.ok)
      .catch(() => false)
    if (ready) return { child, output: () => output, exited }
    await sleep(50)
  }
}

function killGroup(running: Running): Promise<void> {
  if (running.child.pid) process.kill(-running.child.pid, 'SIGKILL')
  return running.exited
}

/** True while any process of the group is alive (Java included). */
function groupAlive(pid: number | undefined): boolean {
  if (!pid) return false
  try {
    process.kill(-pid, 0)
    return true
  } catch {
    return false
  }
}

describe('npm start under kill -9', () => {
  let dataDir: string
  let port: number
  let current: Running | undefined

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'latchkey-crash-'))
    port = await freePort()
  })
  afterAll(async () => {
    if (current && groupAlive(current.child.pid)) await killGroup(current)
    await rm(dataDir, { recursive: true, force: true })
  })

  it(`loses no acknowledged transaction over up to ${KILLS} kills, and no event`, async () => {
    const acknowledged = new Map<string, number>() // token name -> id
    const lostPerKill: number[] = []
    const until = Date.now() + SECONDS * 1000
    let kills = 0
    let token = ''
    const url = `http://127.0.0.1:${port}`

    const stored = async () => {
      const res = await fetch(`${url}/api/tokens`, {
        headers: { authorization: `Bearer ${token}` },
      })
      expect(res.status).toBe(200)
      const { tokens } = (await res.json()) as { tokens: { id: number; name: string }[] }
      return new Map(tokens.map((t) => [t.name, t.id]))
    }
    const lostFrom = (present: Map<string, number>) =>
      [...acknowledged].filter(([name, id]) => present.get(name) !== id).map(([name]) => name)
    let lostBefore = 0

    for (let kill = 0; kill < KILLS && (kill < 5 || Date.now() < until); kill++) {
      const running = await start(dataDir, port)
      current = running
      if (kill === 0) {
        token = /lk_[0-9A-Za-z]+_[0-9A-Za-z]+/.exec(running.output())?.[0] ?? ''
        expect(token).not.toBe('')
      } else {
        const lost = lostFrom(await stored()).length
        lostPerKill.push(lost - lostBefore)
        lostBefore = lost
      }
      kills++
      // A stream of creates from 8 writers.
      let stopping = false
      let ackedNow = 0
      const writer = async (w: number) => {
        for (let n = 0; !stopping; n++) {
          const name = `k${kill}-w${w}-${n}`
          try {
            const res = await fetch(`${url}/api/tokens`, {
              method: 'POST',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
              body: JSON.stringify({ name }),
            })
            if (res.status === 200) {
              const body = (await res.json()) as { token: { id: number } }
              acknowledged.set(name, body.token.id)
              ackedNow++
            }
          } catch {
            // the connection died with the process: not acknowledged
          }
        }
      }
      const writers = Array.from({ length: WRITERS }, (_, w) => writer(w))
      // Kill once a few writes were answered (however slow the machine), at a random
      // moment 0-300 ms later, with writes in flight.
      for (const deadline = Date.now() + 60_000; ackedNow < 3; await sleep(20))
        if (Date.now() > deadline)
          throw new Error(`3 writes not answered in 60 s:\n${running.output()}`)
      await sleep(Math.random() * 300)
      // No new request after this; those in flight race the kill, in the same tick.
      stopping = true
      await killGroup(running)
      await Promise.all(writers)
      for (let wait = 0; groupAlive(running.child.pid) && wait < 100; wait++) await sleep(50)
      expect(groupAlive(running.child.pid)).toBe(false)
    }

    // The last restart: everything acknowledged is there, and its events follow.
    const last = await start(dataDir, port)
    current = last
    try {
      const lost = lostFrom(await stored())
      lostPerKill.push(lost.length - lostBefore)
      const events = join(dataDir, 'events.jsonl')
      const created = async () =>
        (await readFile(events, 'utf8').catch(() => ''))
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line))
          .filter((event) => event['detail-type'] === 'AccessTokenCreated')
      const deadline = Date.now() + 30_000
      let seen = await created()
      const names = () => new Set(seen.map((event) => event.detail.token_name))
      while ([...acknowledged.keys()].some((name) => !names().has(name)) && Date.now() < deadline) {
        await sleep(200)
        seen = await created()
      }
      // Each token's event has one id, however many times it was delivered.
      const idsByToken = new Map<number, Set<string>>()
      for (const event of seen) {
        const ids = idsByToken.get(event.detail.token_id) ?? new Set()
        ids.add(event.id)
        idsByToken.set(event.detail.token_id, ids)
      }
      const redelivered = seen.length - idsByToken.size
      console.log(
        `kill -9 x${kills}: ${acknowledged.size} acknowledged transactions, ${lost.length} lost ` +
          `(per kill: ${lostPerKill.join(',')}); ${seen.length} AccessTokenCreated events, ${redelivered} redelivered`,
      )
      expect(acknowledged.size).toBeGreaterThanOrEqual(3 * kills)
      expect(lost).toEqual([])
      expect([...acknowledged.keys()].filter((name) => !names().has(name))).toEqual([])
      for (const [id, ids] of idsByToken) expect(ids.size, `token ${id}`).toBe(1)
    } finally {
      await killGroup(last)
    }
  })
})
