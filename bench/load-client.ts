/**
 * The bench's HTTP load generator, in a process of its own (forked by
 * bench/latency.ts): on Lambda the client is not in the function's process, so its
 * CPU and its turns of the event loop must not be charged to the service. Receives
 * a load to run over IPC, answers its Timing.
 */
import { httpClient } from './http-floor.js'
import { measure } from './stats.js'

export interface Load {
  id: number
  base: string
  method: string
  path: string
  /** Used in turn, one per request (one token: every request the same). */
  tokens: string[]
  /** A JSON body per request: a fresh token name, a hostname, or none. */
  body?: 'name' | 'hostname'
  count: number
  inFlight: number
}

const clients = new Map<string, ReturnType<typeof httpClient>>()
let sent = 0

process.on('message', async (load: Load) => {
  const client = clients.get(load.base) ?? httpClient(load.base)
  clients.set(load.base, client)
  let turn = 0
  const body = () =>
    load.body === 'name'
      ? { name: `load ${process.pid} ${sent++}` }
      : load.body === 'hostname'
        ? { hostname: 'load' }
        : undefined
  try {
    const timing = await measure(
      () => client.send(load.method, load.path, load.tokens[turn++ % load.tokens.length], body()),
      load.count,
      load.inFlight,
    )
    process.send?.({ id: load.id, timing })
  } catch (error) {
    process.send?.({ id: load.id, error: String(error) })
  }
})

process.on('disconnect', () => {
  for (const client of clients.values()) client.close()
  process.exit(0)
})
