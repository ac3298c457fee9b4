import { mkdtemp } from 'node:fs/promises'
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda'
import { bundleFunction } from '../infra/constructs/bundle.js'
import type { AuthorizerDecision } from '../shared/authorizer/authorizer.js'
import type { Config } from '../shared/config.js'

/**
 * `npm start`'s authorizer is the Lambda's own artifact: authorizer/handler.ts bundled as
 * the stack bundles it (its lean DynamoDB transport included, infra/constructs/bundling.ts),
 * run in a worker thread with the environment the construct gives it (infra/authorizer.ts).
 * Its DynamoDB traffic passes a gate on the way to DynamoDB Local that grants exactly what
 * the construct grants (local IAM emulation, at the wire: a call outside it gets DynamoDB's
 * AccessDeniedException) and reports each call (the bench and the tests count them).
 */

/** The construct's grant (infra/authorizer.ts). */
export const AUTHORIZER_GRANT = ['BatchGetItem', 'GetItem', 'UpdateItem'] as const

type Listener = (operation: string) => void
const listeners = new Set<Listener>()

/** Hears every DynamoDB call the local authorizer makes (its operation); returns the unsubscribe. */
export function onAuthorizerCall(listener: Listener): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

const root = new URL('..', import.meta.url).pathname
let built: Promise<string> | undefined

/** Built once per process, on first use (esbuild, about a second). */
function bundle(): Promise<string> {
  built ??= (async () => {
    const outfile = join(await mkdtemp(join(tmpdir(), 'latchkey-authorizer-')), 'index.mjs')
    await bundleFunction(`${root}authorizer/handler.ts`, outfile)
    return outfile
  })()
  return built
}

const readAll = async (stream: IncomingMessage) => {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** The gate: DynamoDB's JSON protocol names the operation in `X-Amz-Target`. */
export async function startAuthorizerGate(endpoint: string) {
  const target = new URL(endpoint)
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readAll(req)
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? ''
    if (!(AUTHORIZER_GRANT as readonly string[]).includes(operation)) {
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' })
      res.end(
        JSON.stringify({
          __type: 'com.amazon.coral.service#AccessDeniedException',
          Message: `not authorized to perform: dynamodb:${operation} (local IAM emulation: the authorizer's grant is infra/authorizer.ts)`,
        }),
      )
      return
    }
    for (const listener of listeners) listener(operation)
    const forward = request(
      target,
      { method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 500, answer.headers)
        answer.pipe(res)
      },
    )
    forward.on('error', () => res.destroy())
    forward.end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

// The worker: imports the bundle (its cold start, reading the environment) and answers
// each event with the bundle's own decision.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
import(workerData.bundle).then(({ decide }) => {
  parentPort.on('message', ({ id, event }) => {
    decide(event).then(
      (decision) => parentPort.postMessage({ id, decision }),
      (error) => parentPort.postMessage({ id, error: String(error && error.stack || error) }),
    )
  })
}, (error) => { throw error })
`

export interface LocalAuthorizerOptions {
  team: string
  routeScopes: Record<string, readonly string[]>
  cacheTtlSeconds: number
  /** The local service's configuration: its table, DynamoDB Local and its JWT key file. */
  config: Config
}

type Event = Pick<
  APIGatewayRequestAuthorizerEventV2,
  'routeKey' | 'headers' | 'queryStringParameters'
>

/** Starts lazily: the first decision pays the bundle, the gate and the worker's cold start. */
export function localAuthorizer(options: LocalAuthorizerOptions) {
  const { config } = options
  let started: Promise<{ worker: Worker; close(): Promise<void> }> | undefined
  const pending = new Map<
    number,
    { resolve(d: AuthorizerDecision): void; reject(e: Error): void }
  >()
  let next = 0

  const start = async () => {
    if (!config.dynamoEndpoint) throw new Error('the local authorizer needs DynamoDB Local')
    const [file, gate] = await Promise.all([bundle(), startAuthorizerGate(config.dynamoEndpoint)])
    const worker = new Worker(WORKER, {
      eval: true,
      workerData: { bundle: file },
      // What the construct sets, and what a local endpoint needs in its place.
      env: {
        TABLE_NAME: config.tableName,
        AWS_REGION: config.region,
        DYNAMODB_ENDPOINT: gate.url,
        AWS_ACCESS_KEY_ID: config.localCredentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: config.localCredentials.secretAccessKey,
        ...(config.jwt.keyFile && { JWT_KEY_FILE: config.jwt.keyFile }),
        LATCHKEY_ISSUER: config.jwt.issuer,
        LATCHKEY_TEAM: options.team,
        LATCHKEY_ROUTE_SCOPES: JSON.stringify(options.routeScopes),
        LATCHKEY_CACHE_TTL_SECONDS: String(options.cacheTtlSeconds),
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      },
    })
    worker.unref()
    worker.on('message', ({ id, decision, error }) => {
      const waiting = pending.get(id)
      pending.delete(id)
      if (error) waiting?.reject(new Error(`local authorizer: ${error}`))
      else waiting?.resolve(decision)
    })
    worker.on('error', (error) => {
      for (const waiting of pending.values()) waiting.reject(error)
      pending.clear()
    })
    return {
      worker,
      close: async () => {
        await worker.terminate()
        await gate.close()
      },
    }
  }

  return {
    async decide(event: Event): Promise<AuthorizerDecision> {
      started ??= start()
      const { worker } = await started
      const id = next++
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject })
        worker.postMessage({ id, event })
      })
    },
    async close() {
      if (started) await (await started).close()
    },
  }
}
