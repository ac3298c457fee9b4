import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Context } from 'aws-lambda'
import { context } from '../shared/context.js'
import { payloadTooLarge, unknownError } from '../shared/errors.js'
import { errorResult } from '../shared/http/middleware/error-response.js'
import type { HttpResult } from '../shared/http/response.js'
import { createRouter } from '../shared/http/router.js'
import type { HttpHandler } from '../shared/http/stack.js'
import { describeError, log } from '../shared/log.js'
import {
  fallbackHandler,
  type RouteSpec,
  routeList,
  type TableAction,
  tableActionsOf,
} from '../shared/routes.js'
import { answerClientError } from './client-error.js'
import { isConsolePath, serveConsole } from './console.js'
import { toLambdaEvent } from './event.js'
import { EXAMPLE_ROUTE, exampleApi } from './example-api.js'
import { enforceGrants, withGrants } from './iam.js'
import { recordRouteUse } from './record.js'

/** A hard cap on what the server reads, as API Gateway has one (10 MB) of its own. */
const MAX_REQUEST_BYTES = 1024 * 1024

/** Loads every handler the route table names, once, exactly as Lambda would import it. */
export async function loadHandlers(): Promise<Map<string, HttpHandler>> {
  const modules = [...new Set([...routeList.map((route) => route.handler), fallbackHandler])]
  const loaded = await Promise.all(
    modules.map(async (name) => {
      const module = await import(new URL(`../functions/${name}.ts`, import.meta.url).href)
      if (typeof module.handler !== 'function')
        throw new Error(`functions/${name}.ts exports no handler`)
      return [name, module.handler as HttpHandler] as const
    }),
  )
  return new Map(loaded)
}

const EMPTY = Buffer.alloc(0)

/**
 * A request without Content-Length or Transfer-Encoding has no body (RFC 9112, 6.3): most
 * GETs, which then skip the read (a promise and three listeners). Node discards what is unread.
 */
const mayHaveBody = (req: IncomingMessage) =>
  req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_REQUEST_BYTES) {
        resolve(undefined)
        req.resume()
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(size > MAX_REQUEST_BYTES ? undefined : Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

/**
 * For HEAD, handlers answer without a body (shared/http/middleware/head.ts) and Node sends none.
 * The length is given, as API Gateway gives it: with it Node writes the head and the body
 * in one write; without it the answer is chunked, three pieces in a writev.
 */
function send(res: ServerResponse, result: HttpResult): void {
  const headers: Record<string, string | string[]> = {}
  const given = result.headers
  if (given) for (const name in given) headers[name] = String(given[name])
  if (result.cookies?.length) headers['set-cookie'] = result.cookies
  const text = result.body ?? ''
  const body = result.isBase64Encoded ? Buffer.from(text, 'base64') : text
  // No length on a 204 or 304 (RFC 9110), which have no body.
  if (result.statusCode !== 204 && result.statusCode !== 304)
    headers['content-length'] ??= String(
      typeof body === 'string' ? Buffer.byteLength(body) : body.length,
    )
  res.writeHead(result.statusCode, headers)
  res.end(body)
}

/**
 * Idle connections stay open longer than clients keep them: a client that reuses a
 * connection just as the server drops it sees "other side closed". Node's 5 s default
 * is what common clients use themselves (undici 4 s, Node's agent 5 s); 65 s is also
 * above the 60 s of AWS load balancers in front.
 */
export const KEEP_ALIVE_MS = 65_000

export interface LocalServer {
  url: string
  server: Server
  close(): Promise<void>
}

/**
 * The local stand-in for API Gateway: the route table picks the handler, the
 * request becomes a payload 2.0 event, and the real handler answers it.
 */
export async function startServer(options: {
  port: number
  host: string
  /** Serve the example API behind the authorizer (local/example-api.ts) for this team's tokens. */
  exampleTeam?: string
  /**
   * Check each route's DynamoDB calls against its grants (local/iam.ts; default on).
   * The bench turns it off: on AWS, IAM is checked outside the function's process.
   */
  emulateIam?: boolean
}): Promise<LocalServer> {
  const handlers = await loadHandlers()
  const example = options.exampleTeam
    ? exampleApi(options.exampleTeam, context().config)
    : undefined
  const emulateIam = options.emulateIam ?? true
  if (emulateIam) enforceGrants(context().store.dynamo)
  const match = createRouter<RouteSpec>(routeList)
  /** What a request needs of its route, worked out once per route rather than per request. */
  interface Target {
    handler: HttpHandler
    handlerName: string
    routeKey: string
    grants: readonly TableAction[]
  }
  const targetOf = (handlerName: string, routeKey: string, grants: readonly TableAction[]) => {
    const handler = handlers.get(handlerName)
    if (!handler) throw new Error(`handler ${handlerName} not loaded`)
    return { handler, handlerName, routeKey, grants }
  }
  const targets = new Map<RouteSpec, Target>(
    routeList.map((route) => [
      route,
      targetOf(route.handler, `${route.method} ${route.path}`, tableActionsOf(route)),
    ]),
  )
  const fallback = targetOf(fallbackHandler, '$default', [])
  // Read once: the integration tier names its file before it starts a server.
  const recording = Boolean(process.env.LATCHKEY_ROUTE_RECORD)

  const server = createServer(async (req, res) => {
    const requestId = randomUUID()
    try {
      const method = req.method ?? 'GET'
      const url = req.url ?? '/'
      const queryAt = url.indexOf('?')
      // Routed on the raw path, as API Gateway does: never parsed as a URL (see event.ts).
      const path = queryAt === -1 ? url : url.slice(0, queryAt)
      if (isConsolePath(method, path) && (await serveConsole(req, res))) return
      const body = mayHaveBody(req) ? await readBody(req) : EMPTY
      if (!body) {
        const result = errorResult(payloadTooLarge(MAX_REQUEST_BYTES), requestId)
        send(res, {
          ...result,
          headers: { ...result.headers, 'x-request-id': requestId, connection: 'close' },
        })
        return
      }
      const request = {
        method,
        url,
        headers: req.headers,
        body,
        sourceIp: req.socket.remoteAddress ?? '',
        requestId,
      }
      if (example && method === EXAMPLE_ROUTE.method && path === EXAMPLE_ROUTE.path) {
        const event = toLambdaEvent(request, `${method} ${path}`, undefined)
        // The authorizer's grant is enforced at its own gate (local/authorizer.ts).
        const result = await example.serve(event)
        send(res, { ...result, headers: { ...result.headers, 'x-request-id': requestId } })
        return
      }
      // HEAD is served by the GET route (as API Gateway's HEAD routes are, see infra).
      const found = match(method === 'HEAD' ? 'GET' : method, path)
      const target = (found.kind === 'route' && targets.get(found.route)) || fallback
      const params = found.kind === 'route' ? decodeParams(found.params) : undefined
      const event = toLambdaEvent(request, target.routeKey, params)
      const context = { awsRequestId: requestId, functionName: target.handlerName } as Context
      const { handler } = target
      const result = emulateIam
        ? await withGrants(target.grants, () => handler(event, context), target.routeKey)
        : await handler(event, context)
      if (recording) recordRouteUse({ route: target.routeKey, status: result.statusCode })
      send(res, result)
    } catch (error) {
      // The client went away mid-body, or its body broke HTTP framing (clientError answered it).
      if ((error as { code?: unknown }).code === 'ECONNRESET') return
      // Handlers map their own errors; reaching here is a bug in this server.
      log('error', 'local server failed', { requestId, ...describeError(error) })
      if (!res.headersSent) {
        const result = errorResult(unknownError(), requestId)
        send(res, { ...result, headers: { ...result.headers, 'x-request-id': requestId } })
      }
    }
  })

  server.on('clientError', answerClientError)
  server.keepAliveTimeout = KEEP_ALIVE_MS
  server.headersTimeout = KEEP_ALIVE_MS + 1000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  return {
    url: `http://${host}:${port}`,
    server,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
        // In-flight requests get a moment to finish before connections are cut.
        setTimeout(() => server.closeAllConnections(), 5000).unref()
      })
      await example?.close()
    },
  }
}

/** Path parameters as API Gateway hands them over: percent-decoded (when they can be). */
function decodeParams(params: Record<string, string>): Record<string, string> {
  const decoded: Record<string, string> = {}
  for (const name in params) {
    const value = params[name] ?? ''
    try {
      decoded[name] = value.includes('%') ? decodeURIComponent(value) : value
    } catch {
      decoded[name] = value
    }
  }
  return decoded
}
