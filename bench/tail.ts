/**
 * Where the slowest requests of a round spent their time, from bench/trace.ts's
 * timestamps. `npx tsx bench/tail.ts FILE` summarises a trace written by
 * `npm run bench -- --only latency --trace FILE` (one line per round and side).
 */
import { readFileSync } from 'node:fs'
import type { ClientExchange } from './load-client.js'
import { median, percentile, round } from './stats.js'
import type { Exchange, Served } from './trace.js'

/** One request's phases, ms. */
export interface Phases {
  total: number
  /** Load client: waiting for a socket in its pool; connecting a new one. */
  clientPool: number
  clientConnect: number
  /** From the request on the wire to the server's 'request' event (its loop's queue). */
  toServer: number
  /** Of which, on a new connection: until the server accepted it, then until it read the request. */
  accept: number
  firstRead: number
  /** The server's 'request' event to its response's 'finish' (the task itself, in process). */
  inServer: number
  /** Of which: in DynamoDB calls (the span from the first call's start to the last's end). */
  dynamo: number
  /** Of which: the calls waiting for a socket of the SDK's pool, and connecting. */
  dynamoPool: number
  dynamoConnect: number
  /** Of which: the calls' request sent to first byte (DynamoDB Local working, or its queue). */
  dynamoWait: number
  /** The response leaving the server to the load client reading it all. */
  back: number
  /** New connections: the load client's, the SDK's. */
  clientConnects: number
  dynamoConnects: number
}

const span = (from: number | undefined, to: number | undefined) =>
  from === undefined || to === undefined ? 0 : to - from

function callPhases(calls: Exchange[]) {
  let pool = 0
  let connect = 0
  let wait = 0
  let connects = 0
  for (const call of calls) {
    pool += span(call.start, call.socket)
    if (call.connected !== undefined) {
      connects++
      connect += span(call.socket, call.connected)
    }
    wait += span(call.connected ?? call.socket, call.response)
  }
  const starts = calls.map((call) => call.start)
  const ends = calls.map((call) => call.end ?? call.start)
  const dynamo = calls.length ? Math.max(...ends) - Math.min(...starts) : 0
  return { dynamo, dynamoPool: pool, dynamoConnect: connect, dynamoWait: wait, connects }
}

/** Every request of one round and side, with its phases. */
export function phasesOf(served: Served[], exchanges?: ClientExchange[]): Phases[] {
  const bySeq = new Map(served.map((s) => [s.seq, s]))
  const blank = {
    clientPool: 0,
    clientConnect: 0,
    toServer: 0,
    accept: 0,
    firstRead: 0,
    back: 0,
    clientConnects: 0,
  }
  if (!exchanges)
    return served.map((s) => {
      const calls = callPhases(s.calls)
      const inServer = span(s.arrive, s.end)
      return {
        ...blank,
        total: inServer,
        inServer,
        ...calls,
        dynamoConnects: calls.connects,
      }
    })
  return exchanges.map((e) => {
    const s = bySeq.get(e.seq)
    const calls = callPhases(s?.calls ?? [])
    const sent = e.connected ?? e.socket
    return {
      total: span(e.start, e.end),
      clientPool: span(e.start, e.socket),
      clientConnect: span(e.socket, e.connected),
      toServer: span(sent, s?.arrive),
      accept: span(sent, s?.accepted),
      firstRead: span(s?.accepted, s?.accepted === undefined ? undefined : s.arrive),
      inServer: span(s?.arrive, s?.end),
      ...calls,
      back: span(s?.end, e.end),
      clientConnects: e.connected === undefined ? 0 : 1,
      dynamoConnects: calls.connects,
    }
  })
}

/** The round's slowest 1% (at or above its p99), each phase's median over them. */
export function tailOf(phases: Phases[]) {
  const totals = phases.map((p) => p.total).sort((a, b) => a - b)
  const p99 = percentile(totals, 99)
  const slow = phases.filter((p) => p.total >= p99)
  const keys = Object.keys(phases[0] ?? {}) as (keyof Phases)[]
  const med = (list: Phases[]) =>
    Object.fromEntries(keys.map((k) => [k, round(median(list.map((p) => p[k])))]))
  const sum = (k: keyof Phases) => phases.reduce((total, p) => total + p[k], 0)
  return {
    p99: round(p99),
    max: round(totals[totals.length - 1] ?? Number.NaN),
    slow: med(slow),
    all: med(phases),
    /** New connections over the whole round. */
    clientConnects: sum('clientConnects'),
    dynamoConnects: sum('dynamoConnects'),
    /** Requests that opened a connection on either side and were in the slowest 1%. */
    slowWithConnect: slow.filter((p) => p.clientConnects + p.dynamoConnects > 0).length,
    slowCount: slow.length,
  }
}

/**
 * Each AWS operation's median time on the wire (socket to first byte: DynamoDB Local's
 * work and its queue) and its median span (start to end, pool wait included), ms.
 */
export function byOperation(served: Served[]) {
  const waits = new Map<string, { wait: number[]; span: number[] }>()
  for (const call of served.flatMap((s) => s.calls)) {
    const name = call.target ?? 'other'
    const entry = waits.get(name) ?? { wait: [], span: [] }
    entry.wait.push(span(call.connected ?? call.socket, call.response))
    entry.span.push(span(call.start, call.end))
    waits.set(name, entry)
  }
  return Object.fromEntries(
    [...waits].map(([name, { wait, span }]) => [
      name,
      { n: wait.length, wait: round(median(wait)), span: round(median(span)) },
    ]),
  )
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2] ?? 'bench/out/trace.jsonl'
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue
    const round = JSON.parse(line) as {
      key: string
      inFlight: number
      pass: number
      side: string
      served: Served[]
      exchanges?: ClientExchange[]
    }
    if (round.side === 'b') continue
    const tail = tailOf(phasesOf(round.served, round.exchanges))
    console.log(
      JSON.stringify({
        key: round.key,
        n: round.inFlight,
        pass: round.pass,
        side: round.side,
        ...tail,
        operations: byOperation(round.served),
      }),
    )
  }
}
