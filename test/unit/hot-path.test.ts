import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Middleware } from '../../shared/http/event.js'
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
