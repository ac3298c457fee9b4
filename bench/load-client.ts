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
  /** A JSON body per request: a fresh token name, a hostname, the same object each time, or none. */
  body?: 'name' | 'hostname' | { fixed: unknown }
  count: number
  inFlight: number
}

let sent = 0

process.on('message', async (load: Load) => {
  // Fresh connections for every load: an idle keep-alive socket may be closed by the
  // server (5 s) just as a later round reuses it, which is the bench's race, not the service's.
  const client = httpClient(load.base)
  let turn = 0
  const body = () =>
    typeof load.body === 'object'
      ? load.body.fixed
      : load.body === 'name'
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
  } finally {
    client.close()
  }
})

process.on('disconnect', () => process.exit(0))
