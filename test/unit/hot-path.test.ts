import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Middleware } from '../../shared/http/event.js'
import { chain } from '../../shared/http/middleware/chain.js'
import { normalizeHeaders } from '../../shared/http/middleware/normalize-headers.js'
import { toResult } from '../../shared/http/reply.js'
import { batched, log } from '../../shared/log.js'
import { emf, putMetrics, setMetricsWriter, stdoutMetrics } from '../../shared/metrics.js'
import { isoTime } from '../../shared/time.js'

/** The per-request shortcuts (issue 17) answer exactly what the plain code did. */

afterEach(() => {
  setMetricsWriter(undefined)
  vi.useRealTimers()
})

describe('isoTime', () => {
  it('is toISOString for times across seconds, days, leap days and both sides of 1970', () => {
    const times = [
      0, 1, 9, 10, 99, 100, 999, 1000, 1001, -1, -999, -1000, -1001, 951_782_400_000,
      1_764_126_000_123, 1_764_126_000_999, 1_764_126_001_000, 253_402_300_799_999,
      253_402_300_800_000, -62_198_755_200_000, 1_764_126_000_123.7, -0.5,
    ]
    // Twice each, in an order that crosses back and forth between cached seconds.
    for (const ms of [...times, ...times.reverse()])
      expect(isoTime(ms)).toBe(new Date(ms).toISOString())
  })

  it('throws as toISOString does for a time no Date holds', () => {
    expect(() => isoTime(Number.NaN)).toThrow(RangeError)
    expect(() => isoTime(8.65e15)).toThrow(RangeError)
  })
})

describe('metric lines', () => {
  const line = (...args: Parameters<typeof putMetrics>) => {
    const written: string[] = []
    setMetricsWriter((text) => written.push(text))
    putMetrics(...args)
    return written
  }

  it('are JSON.stringify(emf(...)), byte for byte, fast path or not', () => {
    vi.useFakeTimers({ now: 1_764_126_000_123 })
    const cases: Parameters<typeof putMetrics>[] = [
      [
        [{ name: 'Requests', value: 1 }],
        { route: 'GET /v1/teams/{team}/projects', status_class: '2xx' },
      ],
      [[{ name: 'AuthFailures', value: 1 }], { reason: 'with "quotes" and \u2028' }],
      [[{ name: 'Enrollments', value: 1 }]],
      [
        [
          { name: 'Latency', value: 12.5, unit: 'Milliseconds' },
          { name: 'Count', value: 3 },
        ],
        { a: 'x' },
      ],
      // Keys that replace others, index-like keys, fields and odd values: emf's own path.
      [[{ name: 'Requests', value: 1 }], { service: 'other' }],
      [[{ name: 'route', value: 2 }], { route: 'GET /x' }],
      [[{ name: 'Requests', value: 1 }], { '1': 'first', route: 'GET /x' }],
      [
        [
          { name: 'Requests', value: 1 },
          { name: 'Requests', value: 2 },
        ],
        {},
      ],
      [[{ name: 'Requests', value: 1 }], { route: 'GET /x' }, { extra: true }],
      [[{ name: 'Requests', value: 1 }], { route: undefined as unknown as string }],
      [[{ name: 'Requests', value: Number.NaN }], { route: 'GET /x' }],
    ]
    for (const args of cases) {
      // The first call serialises the directive, the second reuses it.
      expect(line(...args)).toEqual([JSON.stringify(emf(...args))])
      expect(line(...args)).toEqual([JSON.stringify(emf(...args))])
    }
  })

  it('writes nothing for no metrics or no writer', () => {
    expect(line([])).toEqual([])
    setMetricsWriter(undefined)
    expect(() => putMetrics([{ name: 'Requests', value: 1 }])).not.toThrow()
  })
})

describe('chain', () => {
  type Request = Parameters<NonNullable<Middleware['before']>>[0]
  const request = () => ({ event: {}, context: {}, internal: {} }) as unknown as Request
  const recorder = (calls: string[], name: string, async = false): Middleware => {
    const hook = (phase: string) =>
      async
        ? async () => void calls.push(`${name}.${phase}`)
        : () => void calls.push(`${name}.${phase}`)
    return { name, before: hook('before'), after: hook('after'), onError: hook('onError') }
  }

  it('runs before hooks in order and after and onError hooks in reverse, as middy would', async () => {
    const calls: string[] = []
    const chained = chain('c', [
      recorder(calls, 'a'),
      recorder(calls, 'b', true),
      recorder(calls, 'c'),
    ])
    await chained.before?.(request())
    await chained.after?.(request())
    await chained.onError?.(request())
    expect(calls).toEqual([
      'a.before',
      'b.before',
      'c.before',
      'c.after',
      'b.after',
      'a.after',
      'c.onError',
      'b.onError',
      'a.onError',
    ])
  })

  it('returns synchronously when no hook is asynchronous, and waits for one that is', async () => {
    const calls: string[] = []
    expect(chain('sync', [recorder(calls, 'a'), recorder(calls, 'b')]).before?.(request())).toBe(
      undefined,
    )
    let release = () => {}
    const slow: Middleware = {
      name: 'slow',
      before: () =>
        new Promise<void>((resolve) => {
          release = () => {
            calls.push('slow')
            resolve()
          }
        }),
    }
    const run = chain('async', [slow, recorder(calls, 'after-slow')]).before?.(request())
    expect(calls).toEqual(['a.before', 'b.before'])
    release()
    await run
    expect(calls).toEqual(['a.before', 'b.before', 'slow', 'after-slow.before'])
  })

  it('stops at a value returned (middy answers it early) and passes a throw on', async () => {
    const calls: string[] = []
    const early: Middleware = { name: 'early', before: async () => ({ statusCode: 204 }) }
    const answer = await chain('e', [early, recorder(calls, 'skipped')]).before?.(request())
    expect(answer).toEqual({ statusCode: 204 })
    expect(calls).toEqual([])
    const failing: Middleware = {
      name: 'failing',
      before: () => {
        throw new Error('no')
      },
    }
    expect(() => chain('f', [failing, recorder(calls, 'skipped')]).before?.(request())).toThrow(
      'no',
    )
    const rejecting: Middleware = {
      name: 'rejecting',
      before: async () => {
        throw new Error('later')
      },
    }
    await expect(
      chain('r', [rejecting, recorder(calls, 'skipped')]).before?.(request()),
    ).rejects.toThrow('later')
    expect(calls).toEqual([])
  })

  it('declares only the phases its middlewares have', () => {
    const only: Middleware = { name: 'only', after: () => undefined }
    expect(Object.keys(chain('o', [only]))).toEqual(['name', 'after'])
  })
})

describe('normalizeHeaders', () => {
  const run = (headers: Record<string, string | undefined> | undefined) => {
    const event = { headers } as unknown as Request['event']
    normalizeHeaders().before?.({ event } as Request)
    return event.headers
  }
  type Request = Parameters<NonNullable<Middleware['before']>>[0]

  it('keeps payload 2.0 headers as they are and lower-cases any others', () => {
    const given = { host: 'x', authorization: 'Bearer t' }
    expect(run(given)).toBe(given)
    expect(run({ Host: 'x', 'X-Thing': 'y', gone: undefined })).toEqual({
      host: 'x',
      'x-thing': 'y',
    })
    expect(run(undefined)).toEqual({})
  })
})

describe('toResult', () => {
  it("puts the JSON type first, the reply's headers after it, and the route's cache policy last", () => {
    const result = toResult(
      { cache: 'no-store' },
      {
        status: 200,
        body: { a: 1 },
        headers: { 'content-type': 'text/x', 'cache-control': 'x', link: 'l' },
      },
    )
    expect(result).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'text/x', 'cache-control': 'no-store', link: 'l' },
      body: '{"a":1}',
    })
    expect(Object.keys(result.headers ?? {})).toEqual(['content-type', 'cache-control', 'link'])
    expect(toResult({}, { status: 204 })).toEqual({ statusCode: 204, headers: {}, body: '' })
    expect(toResult({}, { status: 200, body: [] }).headers).toEqual({
      'content-type': 'application/json; charset=utf-8',
    })
  })
})

describe('batched lines', () => {
  const writes = () => {
    const chunks: string[] = []
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      chunks.push(String(chunk))
      return true
    })
    return chunks
  }
  afterEach(() => vi.restoreAllMocks())

  it("writes a batch's log and metric lines in one write when it ends, a line alone at once", () => {
    const chunks = writes()
    setMetricsWriter(stdoutMetrics)
    log('warn', 'alone')
    expect(chunks).toHaveLength(1)
    batched(() => {
      log('warn', 'first')
      putMetrics([{ name: 'Requests', value: 1 }], { route: 'GET /x' })
      batched(() => log('warn', 'nested'))
      expect(chunks).toHaveLength(1)
    })
    expect(chunks).toHaveLength(2)
    const lines = (chunks[1] ?? '').split('\n')
    expect(lines.pop()).toBe('')
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ message: 'first' }),
      expect.objectContaining({ route: 'GET /x', Requests: 1 }),
      expect.objectContaining({ message: 'nested' }),
    ])
  })

  it('still writes what a failing batch gathered, and writes nothing for an empty one', () => {
    const chunks = writes()
    expect(() =>
      batched(() => {
        log('error', 'before the throw')
        throw new Error('boom')
      }),
    ).toThrow('boom')
    batched(() => {})
    expect(chunks).toEqual([expect.stringContaining('"before the throw"')])
    log('warn', 'after')
    expect(chunks).toHaveLength(2)
  })
})
