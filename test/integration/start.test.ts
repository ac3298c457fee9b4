import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
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

function start(env: Record<string, string>): Promise<Started> {
  const { DYNAMODB_ENDPOINT, TABLE_NAME, ...inherited } = process.env
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
    cwd: root,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 60 s:\n${output}`)), 60_000)
    const check = setInterval(() => {
      if (output.includes('Latchkey listening on')) {
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

  it('bootstraps once, keeps data across a restart, and stops cleanly', async () => {
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
    expect(first.output()).toContain('event AccessTokenCreated bootco by admin')
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
    expect(second.output()).toContain('Store already initialised')
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
