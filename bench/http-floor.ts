import { Agent, createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type Exchange, now, watchExchange } from './trace.js'

/**
 * The benchmark's HTTP client: node:http with keep-alive, as a load generator should
 * be. (The global fetch costs 0.3-0.4 ms more per request in the same process, which
 * would be charged to the service under test.)
 */
export function httpClient(base: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 })
  let connections = 0
  const send = (
    method: string,
    path: string,
    token?: string,
    body?: unknown,
    /** Times this request's phases (bench/trace.ts), its `seq` sent for the server's side. */
    trace?: { seq: string; exchange: Exchange },
  ) =>
    new Promise<unknown>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body)
      if (trace) trace.exchange.start = now()
      const req = request(
        new URL(path, base),
        {
          method,
          agent,
          headers: {
            ...(token && { authorization: `Bearer ${token}` }),
            ...(payload && { 'content-type': 'application/json' }),
            ...(trace && { 'x-bench-seq': trace.seq }),
          },
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            if ((res.statusCode ?? 500) >= 400)
              reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`))
            else resolve(text ? JSON.parse(text) : undefined)
          })
          res.on('error', reject)
        },
      )
      req.once('socket', (socket) => {
        if (socket.connecting) connections++
      })
      if (trace) watchExchange(req, trace.exchange)
      req.on('error', reject)
      req.end(payload)
    })
  return {
    send,
    /** New connections opened so far (a reused keep-alive one is not counted). */
    connections: () => connections,
    close: () => agent.destroy(),
  }
}

/**
 * The HTTP floor: the raw SDK calls a request needs, behind a bare node:http server
 * that reads the request and answers their result as JSON. No routing, auth,
 * validation or framework: what any HTTP service on this machine pays at least.
 */
export async function startHttpFloor(raw: () => Promise<unknown>) {
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', async () => {
      try {
        const result = await raw()
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify(result))
      } catch (error) {
        // The floor's failure is the bench's: the load client reports it, nothing crashes.
        res.writeHead(500, { 'content-type': 'text/plain' })
        res.end(String(error))
      }
    })
  })
  // Idle connections kept as long as the local server keeps them (not Node's 5 s), so
  // both servers serve a round on the connections the warm-up opened. (Imported here,
  // not at the top: the load client, which shares this module, needs no service code.)
  const { KEEP_ALIVE_MS } = await import('../local/server.js')
  server.keepAliveTimeout = KEEP_ALIVE_MS
  server.headersTimeout = KEEP_ALIVE_MS + 1000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const client = httpClient(`http://127.0.0.1:${port}`)
  return {
    url: `http://127.0.0.1:${port}`,
    task: () => client.send('GET', '/'),
    close: async () => {
      client.close()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
