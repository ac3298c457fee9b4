import { describe, expect, it } from 'vitest'
import type { ClientExchange } from '../../bench/load-client.js'
import { phasesOf, tailOf } from '../../bench/tail.js'
import type { Served } from '../../bench/trace.js'

/** A request the load client sent at `t` on a reused connection, served in `ms`. */
function reused(seq: string, t: number, ms: number): [ClientExchange, Served] {
  return [
    { seq, start: t, socket: t, response: t + ms + 1, end: t + ms + 1 },
    {
      seq,
      arrive: t + 0.5,
      end: t + ms + 0.5,
      calls: [{ start: t + 1, socket: t + 1, response: t + ms - 1, end: t + ms }],
    },
  ]
}

describe("the latency section's tail diagnosis", () => {
  it("charges a new connection's wait to be accepted to the accept phase, not to the service", () => {
    const pairs = Array.from({ length: 99 }, (_, i) => reused(String(i), i * 10, 10 + i / 10))
    // Connected at 1 ms, accepted by the server 900 ms later, then served in 20 ms.
    const slow: [ClientExchange, Served] = [
      { seq: 'new', start: 0, socket: 0.5, connected: 1, response: 922, end: 922 },
      {
        seq: 'new',
        accepted: 901,
        arrive: 901.5,
        end: 921.5,
        calls: [{ start: 902, socket: 902, response: 920, end: 921 }],
      },
    ]
    const all = [...pairs, slow]
    const phases = phasesOf(
      all.map(([, served]) => served),
      all.map(([exchange]) => exchange),
    )
    const tail = tailOf(phases)
    // The p99 is the slowest reused request; the slowest 1% and more are it and the new one.
    expect(tail.p99).toBeCloseTo(20.8)
    expect(tail.max).toBeCloseTo(922)
    expect(tail.clientConnects).toBe(1)
    expect(tail).toMatchObject({ slowCount: 2, slowWithConnect: 1 })
    const worst = phases.find((p) => p.total > 900)
    expect(worst).toMatchObject({ accept: 900, firstRead: 0.5, toServer: 900.5, inServer: 20 })
    expect(worst?.dynamo).toBeCloseTo(19)
    expect(phases[0]).toMatchObject({ accept: 0, clientConnects: 0, dynamoPool: 0 })
  })

  it('times an in-process task from its start, with its calls waiting for a pooled socket', () => {
    const served: Served[] = [
      {
        seq: 'local-0',
        arrive: 0,
        end: 30,
        calls: [{ start: 1, socket: 11, connected: 13, response: 28, end: 29 }],
      },
    ]
    expect(phasesOf(served)[0]).toMatchObject({
      total: 30,
      inServer: 30,
      dynamo: 28,
      dynamoPool: 10,
      dynamoConnect: 2,
      dynamoWait: 15,
      dynamoConnects: 1,
      toServer: 0,
    })
  })
})
