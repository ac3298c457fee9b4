/**
 * The bench's HTTP load generator, in a process of its own (forked by
 * bench/latency.ts): on Lambda the client is not in the function's process, so its
 * CPU and its turns of the event loop must not be charged to the service. Receives
 * a load to run over IPC, answers its Timing.
 */
import { httpClient } from './http-floor.js'
import { measure } from './stats.js'
import type { Exchange } from './trace.js'

export interface Load {
  id: number
  base: string
  method: string
  path: string
  /** Used in turn, one per request (one token: every request the same). */
  tokens: string[]
  /** A JSON body per request: a fresh token name, a hostname, the same object each time, or none. */
  body?: 'name' | 'hostname' | { fixed: unknown }
  count: number
  inFlight: number
  /** Answer each request's phases too (bench/trace.ts), keyed by the seq sent with it. */
  trace?: boolean
  /** A pool of its own for this load, closed after it: every request of the first wave connects. */
  fresh?: boolean
}

/** A traced request as the load client saw it. */
export type ClientExchange = Exchange & { seq: string }

let sent = 0

/**
 * One keep-alive pool per server, kept across loads as a real client keeps its
 * connections: the warm-up round opens them and the measured rounds reuse them. Both
 * servers keep idle connections 65 s (local/server.ts, bench/http-floor.ts), longer than
 * any pause between rounds. (A fresh pool per round opened 64 connections at once into
 * a busy server, which libuv accepts one per event-loop turn since 1.45: the round's
 * last connection waited 1-3 s to be accepted, and that was the p99 at 64 in flight.)
 */
const clients = new Map<string, ReturnType<typeof httpClient>>()
const clientOf = (base: string) => {
  const client = clients.get(base) ?? httpClient(base)
  clients.set(base, client)
  return client
}

process.on('message', async (load: Load) => {
  const client = load.fresh ? httpClient(load.base) : clientOf(load.base)
  const opened = client.connections()
  let turn = 0
  const body = () =>
    typeof load.body === 'object'
      ? load.body.fixed
      : load.body === 'name'
        ? { name: `load ${process.pid} ${sent++}` }
        : load.body === 'hostname'
          ? { hostname: 'load' }
          : undefined
  const exchanges: ClientExchange[] = []
  const trace = () => {
    if (!load.trace) return undefined
    const exchange: ClientExchange = { seq: `${load.id}-${exchanges.length}`, start: 0 }
    exchanges.push(exchange)
    return { seq: exchange.seq, exchange }
  }
  try {
    const timing = await measure(
      () =>
        client.send(
          load.method,
          load.path,
          load.tokens[turn++ % load.tokens.length],
          body(),
          trace(),
        ),
      load.count,
      load.inFlight,
    )
    const connects = client.connections() - opened
    process.send?.({ id: load.id, timing, connects, ...(load.trace && { exchanges }) })
  } catch (error) {
    process.send?.({ id: load.id, error: String(error) })
  } finally {
    if (load.fresh) client.close()
  }
})

process.on('disconnect', () => {
  for (const client of clients.values()) client.close()
  process.exit(0)
})
