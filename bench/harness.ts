/**
 * What every bench section shares: the sizes, one DynamoDB Local, the real local
 * server in this process with a team, a project, tokens of every kind and a counter
 * of the service's DynamoDB calls, a keep-alive HTTP client, and the machine's state.
 */
import { generateKeyPairSync, sign } from 'node:crypto'
import { closeSync, createWriteStream, openSync, writeSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import { hashPassword } from '../shared/auth/password.js'
import { setLogLevel } from '../shared/log.js'
import { setMetricsWriter, stdoutMetrics } from '../shared/metrics.js'
import { issuePersonalToken } from '../shared/tokens/personal-token.js'
import { instanceRole, signCallerIdentity, startStsStandIn } from '../test/support/sts.js'
import { httpClient } from './http-floor.js'

export interface BenchOptions {
  quick: boolean
  /** An already running DynamoDB; otherwise an in-memory DynamoDB Local is started. */
  endpoint?: string
}

export const sizes = (quick: boolean) =>
  quick
    ? {
        requests: 40,
        rounds: 2,
        inFlight: [1, 16, 64],
        distinctJwts: 1500,
        scale: [50, 100],
        scaleRuns: 3,
        coldRuns: 5,
        hashes: 2,
        verifies: 2000,
        events: 3,
        sweeperTokens: 10_000,
        sweeperDue: 100,
      }
    : {
        requests: 600,
        rounds: 5,
        inFlight: [1, 16, 64],
        distinctJwts: 1500,
        scale: [1000, 5000, 10000],
        scaleRuns: 5,
        coldRuns: 30,
        hashes: 10,
        verifies: 50000,
        events: 50,
        sweeperTokens: 100_000,
        sweeperDue: 1_000,
      }

export type Sizes = ReturnType<typeof sizes>

/** The machine, with its load: every figure is read against it. */
export const machine = () => ({
  cpus: cpus().length,
  cpu: cpus()[0]?.model ?? 'unknown',
  node: process.version,
  loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
  date: new Date().toISOString(),
})

/**
 * The service logs as deployed (LOG_LEVEL info: one access-log line a request, and
 * EMF metric lines as on Lambda), into a file, so its lines pay their JSON and their
 * asynchronous write as on Lambda without burying the bench's tables. The tables are
 * printed through `report`, on the real stdout.
 */
export async function logAsDeployed() {
  setLogLevel('info')
  setMetricsWriter(stdoutMetrics) // Lambda's own writer (a request's lines in one write)
  await mkdir('bench/out', { recursive: true })
  // Written synchronously, as Lambda's stdout (a pipe) is: a WriteStream hands every
  // line to libuv's thread pool, which charged (c) ~150 µs a request that Lambda doesn't
  // pay (bench/profile.ts, PROFILE_SINK=sync against the stream).
  const file = openSync('bench/out/service.log', 'w')
  const real = process.stdout.write.bind(process.stdout)
  process.stdout.write = ((chunk: string | Uint8Array) => {
    if (typeof chunk === 'string') writeSync(file, chunk)
    else writeSync(file, chunk)
    return true
  }) as typeof real
  return {
    report: new console.Console({ stdout: createWriteStream('', { fd: 1 }) }),
    restore: () => {
      process.stdout.write = real
      closeSync(file)
    },
  }
}

export type Bench = Awaited<ReturnType<typeof startBench>>

/** DynamoDB Local (unless given), the STS stand-in, the local server and its fixtures. */
export async function startBench(options: BenchOptions) {
  const { launchDynamoDbLocal } = await import('../local/dynamodb.js')
  const dynamodb = options.endpoint ? undefined : await launchDynamoDbLocal()
  // Secretless enrollment asks STS: here a local stand-in that checks signatures as STS does.
  const role = instanceRole('111122223333', 'bench-agent', 'i-0123456789abcdef0')
  const sts = await startStsStandIn([role])
  const { startApp } = await import('../local/harness.js')
  // Leak reports are signed by GitHub: here by a key made for the run, configured as GitHub's.
  const github = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const GITHUB_SECRET_SCANNING_KEYS = JSON.stringify([
    {
      key_identifier: 'bench',
      key: github.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    },
  ])
  // No stream on the bench table: DynamoDB Local slows as stream records pile up
  // (AWS does not), which would tilt whichever side of a comparison runs later. No
  // local IAM emulation either: on AWS it is not in the function's process, and its
  // per-request context (AsyncLocalStorage) turns on promise hooks for the whole
  // process, about 4% of the service's CPU (bench/profile.ts, 2026-11-26).
  const app = await startApp({
    env: { LATCHKEY_STS_ENDPOINT: sts.url, GITHUB_SECRET_SCANNING_KEYS },
    endpoint: options.endpoint ?? dynamodb?.endpoint ?? '',
    stream: false,
    emulateIam: false,
  })

  // Every DynamoDB call the service makes passes this counter, by operation.
  const counts = new Map<string, number>()
  app.dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName).replace(/Command$/, '')
      counts.set(name, (counts.get(name) ?? 0) + 1)
      return next(args)
    },
    { step: 'initialize', name: 'benchCallCounter' },
  )
  // And those of the authorizer behind GET /example/orders, a bundle of its own in a
  // worker whose calls pass a gate on the wire (local/authorizer.ts).
  const { onAuthorizerCall } = await import('../local/authorizer.js')
  onAuthorizerCall((name) => counts.set(name, (counts.get(name) ?? 0) + 1))
  const counted = async (request: () => Promise<unknown>) => {
    await settle()
    counts.clear()
    await request()
    await settle() // a lastUsed write runs alongside the handler: let it land in the count
    return Object.fromEntries([...counts].sort())
  }
  /** fetch, as a client would; a 5xx is the bench's failure. */
  const http = async (method: string, path: string, token?: string, body?: unknown) => {
    const response = await fetch(new URL(path, app.url), {
      method,
      headers: {
        ...(token && { authorization: `Bearer ${token}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    if (response.status >= 500) throw new Error(`${method} ${path}: ${response.status} ${text}`)
    return text ? JSON.parse(text) : undefined
  }
  /** GitHub's secret-scanning report of these tokens, signed (or not: `signed` false). */
  const leakReport = async (tokens: readonly string[], signed = true) => {
    const body = JSON.stringify(
      tokens.map((token) => ({ token, type: 'latchkey_token', url: 'https://github.com/b' })),
    )
    // An unsigned report's stand-in: a signature of another body.
    const signature = sign('sha256', Buffer.from(signed ? body : `${body} `), github.privateKey)
    const response = await fetch(new URL('/v1/secret-scanning/revoke', app.url), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'github-public-key-identifier': 'bench',
        'github-public-key-signature': signature.toString('base64'),
      },
      body,
    })
    const text = await response.text()
    if (response.status >= 500) throw new Error(`leak report: ${response.status} ${text}`)
    return text ? JSON.parse(text) : undefined
  }
  let names = 0
  const nextName = () => `bench ${names++}`
  const token: string = app.admin.token
  const service = await http('POST', '/v1/teams/acme/service_token', undefined, {
    key_id: '1',
    key_secret: token,
  })
  const serviceToken: string = service.bearer_token
  await http('POST', '/v1/teams/acme/projects', serviceToken, { name: 'bench' })
  const project = '/v1/teams/acme/projects/bench'
  const { updateUser } = await import('../shared/data/users.js')
  await updateUser('acme', 'admin', { passwordHash: await hashPassword('bench password') })
  const enrollmentToken = await http('POST', `${project}/server_enrollment_tokens`, serviceToken, {
    description: 'bench',
  })
  await http('POST', `${project}/cloud_accounts`, serviceToken, {
    provider: 'aws',
    account_id: role.account,
  })
  // Distinct signatures (the same request signed twice in a second is one signature,
  // refused as a replay): the k-th is dated 13 minutes before it is signed plus k
  // seconds, so no two share a second until k wraps at 1,620 (27 minutes of dates, all
  // inside STS's 15 minutes either side however late in a long run it is made). A full
  // run signs about 1,500. Wrapping at 700 made a later one repeat an earlier one's
  // second (a 401 half-way through a full run); dating from the bench's start expired
  // them after ~8 minutes.
  let signatures = 0
  const signedIdentity = () =>
    signCallerIdentity(role, {
      project: 'acme/bench',
      signingDate: new Date(Date.now() - 13 * 60_000 + 1000 * (signatures++ % 1620)),
    })
  const load = httpClient(app.url)
  return {
    app,
    db: app.db,
    tableName: app.tableName,
    sts,
    http,
    load,
    counted,
    nextName,
    /** The bootstrap admin's personal token (used: its lastUsed is fresh). */
    token,
    serviceToken,
    project,
    enrollmentToken: enrollmentToken as { id: string; token: string },
    /** A well-formed personal token with a right checksum that was never issued. */
    forged: issuePersonalToken({ team: 'acme', username: 'admin', id: 1 }).token,
    signedIdentity,
    leakReport,
    secretless: async () => ({ hostname: 'bench-iam', aws_iam: await signedIdentity() }),
    close: async () => {
      load.close()
      await app.close()
      await sts.close()
      await dynamodb?.stop()
    },
  }
}

/** Lets writes made alongside a handler (lastUsed) finish before a count starts or ends. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20))
