/**
 * Per-request timestamps for the latency section's tail (issue 17): where a slow
 * request spent its time. Every outbound HTTP request of this process (the SDK's calls
 * to DynamoDB) is timed through node:diagnostics_channel: waiting for a socket,
 * connecting (a new connection) or not (a reused one), first byte, end. Each is
 * charged to the request being served (the local server's, found by the load client's
 * `x-bench-seq` header) or to the in-process task that made it.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { subscribe } from 'node:diagnostics_channel'
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

/** Epoch milliseconds with sub-millisecond precision, comparable across processes. */
export const now = () => performance.timeOrigin + performance.now()

/** One HTTP exchange seen from its client's side; times are epoch ms. */
export interface Exchange {
  start: number
  /** The AWS operation (`X-Amz-Target`'s last part), when the request names one. */
  target?: string
  /** When a socket was handed to the request (after any wait for a free one in the pool). */
  socket?: number
  /** A new connection: when its TCP connect completed. Absent for a reused one. */
  connected?: number
  /** The response's first byte (its headers parsed). */
  response?: number
  end?: number
}

/** One request the bench timed: a load-client request served by the local server, or an in-process task. */
export interface Served {
  seq: string
  /** A new connection's first request: when the server accepted the connection. */
  accepted?: number
  /** The local server's 'request' event, or the task's start. */
  arrive: number
  /** The response's last byte handed to the OS, or the task's end. */
  end?: number
  /** The DynamoDB calls made while serving it (any outbound HTTP of this process). */
  calls: Exchange[]
}

const serving = new AsyncLocalStorage<Served>()
let sink: Served[] | undefined
let seqs = 0

/** Times `exchange`'s phases on `request`'s own events. */
export function watchExchange(request: ClientRequest, exchange: Exchange) {
  const onSocket = (socket: Socket) => {
    exchange.socket = now()
    if (socket.connecting)
      socket.once('connect', () => {
        exchange.connected = now()
      })
  }
  // Node announces a request on the channel when its body is written: by then it may
  // hold its socket already (a free one of the pool), or still wait for one.
  if (request.socket) onSocket(request.socket)
  else request.once('socket', onSocket)
  request.once('response', (response: IncomingMessage) => {
    exchange.response = now()
    response.once('end', () => {
      exchange.end = now()
    })
  })
}

/** Connections accepted and not yet read from. */
const accepted = new WeakMap<Socket, number>()
let installed = false
/** Subscribes once: from then on, while `collect` runs, requests are recorded. */
function install() {
  if (installed) return
  installed = true
  subscribe('http.client.request.start', (message) => {
    const served = sink && serving.getStore()
    if (!served) return
    const { request } = message as { request: ClientRequest }
    const target = request.getHeader('x-amz-target')
    const exchange: Exchange = { start: now() }
    if (typeof target === 'string') exchange.target = target.slice(target.lastIndexOf('.') + 1)
    served.calls.push(exchange)
    watchExchange(request, exchange)
  })
  subscribe('net.server.socket', (message) => {
    if (sink) accepted.set((message as { socket: Socket }).socket, now())
  })
  subscribe('http.server.request.start', (message) => {
    if (!sink) return
    const { request, response, socket } = message as {
      request: IncomingMessage
      response: ServerResponse
      socket: Socket
    }
    const seq = request.headers['x-bench-seq']
    if (typeof seq !== 'string') return
    const served: Served = { seq, accepted: accepted.get(socket), arrive: now(), calls: [] }
    accepted.delete(socket)
    sink.push(served)
    response.once('finish', () => {
      served.end = now()
    })
    // The handler runs synchronously after this message, in this execution context:
    // its calls (however deeply awaited) are charged to this request.
    serving.enterWith(served)
  })
}

/** Runs `run` with every request served in this process recorded. */
export async function collect<T>(run: () => Promise<T>): Promise<{ result: T; served: Served[] }> {
  install()
  const served: Served[] = []
  sink = served
  try {
    return { result: await run(), served }
  } finally {
    sink = undefined
  }
}

/** An in-process task, recorded as one request served (the raw floor, the handler). */
export const traced = (task: () => Promise<unknown>) => async (): Promise<unknown> => {
  if (!sink) return task()
  const served: Served = { seq: `local-${seqs++}`, arrive: now(), calls: [] }
  sink.push(served)
  try {
    return await serving.run(served, task)
  } finally {
    served.end = now()
  }
}
