import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../../local/dynamodb.js'
import { matches, outputsOf, readmeBlocks, scriptOf } from '../support/readme.js'

/**
 * The README, followed to the letter: its shell blocks run in order with bash against
 * a fresh `npm start` (the same launcher) on a temporary data folder and port, and
 * every documented output is checked. Nothing may land in the repository.
 */
const root = new URL('../..', import.meta.url).pathname
const gitStatus = () =>
  execFileSync('git', ['status', '--porcelain', '--ignored'], { cwd: root, encoding: 'utf8' })

let dataDir: string
let service: ChildProcess
let serviceOutput = ''
let port: number
let before: string

function run(command: string, args: string[], env: NodeJS.ProcessEnv, stdin: string) {
  const child = spawn(command, args, { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => {
    stdout += chunk
  })
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  child.stdin.end(stdin)
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, stdout, stderr })),
  )
}

const { DYNAMODB_ENDPOINT, TABLE_NAME, AWS_REGION, JWT_KEY_FILE, SEAL_KEY_FILE, ...clean } =
  process.env

beforeAll(async () => {
  before = gitStatus()
  dataDir = await mkdtemp(join(tmpdir(), 'latchkey-readme-'))
  port = await freePort()
  const env = { ...clean, LATCHKEY_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'info' }
  // What `npm start` runs (package.json), without npm in between for the signals.
  service = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  service.stdout?.on('data', (chunk) => {
    serviceOutput += chunk
  })
  service.stderr?.on('data', (chunk) => {
    serviceOutput += chunk
  })
  await new Promise<void>((resolve, reject) => {
    const check = setInterval(() => {
      if (serviceOutput.includes('"event":"ready"')) {
        clearInterval(check)
        resolve()
      }
    }, 50)
    service.once('exit', () => reject(new Error(`npm start exited:\n${serviceOutput}`)))
  })
}, 120_000)

afterAll(async () => {
  if (service.exitCode === null) {
    const exited = new Promise((resolve) => service.once('exit', resolve))
    service.kill('SIGTERM')
    await exited
  }
  await rm(dataDir, { recursive: true, force: true })
})

describe('the README', () => {
  it('runs every shell block in order, with the documented output', async () => {
    const blocks = readmeBlocks(await readFile(join(root, 'README.md'), 'utf8'))
    const skipped = blocks.filter((b) => b.skipped)
    // Only what cannot run here is skipped, each with its reason in the README itself.
    expect(skipped.map((b) => b.skipped)).toEqual([
      'it installs and starts the service itself, on a temporary data folder and port',
      'it deploys to an AWS account',
      'it needs the deployed table and AWS credentials',
    ])
    const statements = blocks.flatMap((b) => b.statements)
    expect(statements.length).toBeGreaterThan(50)
    expect(statements.filter((s) => s.expected).length).toBeGreaterThan(10)

    // What the README tells the reader to type at the prompts: the printed password,
    // then passwords of their choosing for ann and ben.
    const password = /password: (\S+)/.exec(serviceOutput)?.[1] ?? ''
    expect(password).not.toBe('')
    const stdin = `${password}\nann's own password\nben's own password\n`
    const env = { ...clean, LATCHKEY_DATA_DIR: dataDir, PORT: String(port) }
    const result = await run('bash', ['-c', scriptOf(blocks)], env, stdin)

    const lastRun = [...result.stderr.matchAll(/@@run (\d+) (\d+)/g)].at(-1)
    expect(result.code, `README line ${lastRun?.[2]} failed:\n${result.stderr.slice(-3000)}`).toBe(
      0,
    )
    const outputs = outputsOf(result.stdout)
    for (const [index, statement] of statements.entries()) {
      if (!statement.expected) continue
      const actual = outputs.get(index) ?? '(nothing)'
      expect(
        matches(statement.expected, actual),
        `README line ${statement.line}: ${statement.text}\nexpected: ${statement.expected.join('\n')}\nactual:   ${actual}`,
      ).toBe(true)
    }
  }, 180_000) // every block of a README that keeps growing, on a loaded shared machine

  it('left nothing in the repository, and the service stops cleanly and unlocks', async () => {
    expect(gitStatus()).toBe(before)
    const exited = new Promise((resolve) => service.once('exit', resolve))
    service.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(existsSync(join(dataDir, 'latchkey.lock'))).toBe(false)
    expect(serviceOutput).toContain('"event":"stopped"')
  })
})
