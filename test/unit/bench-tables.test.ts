import { describe, expect, it } from 'vitest'
import type { LatencyRow } from '../../bench/latency.js'
import { type BenchResults, benchTables, markdownReport } from '../../scripts/bench-tables.js'

const machine = {
  cpus: 2,
  cpu: 'AMD EPYC',
  node: 'v20.20.2',
  loadAverage: [0.5, 0.7, 1],
  date: '2026-11-25T23:40:00.000Z',
  quick: false,
  sections: ['crypto', 'events'],
}

describe("the README's bench tables", () => {
  it('render a table as Markdown, escaping pipes and showing objects and gaps', () => {
    const report = markdownReport()
    report.log('\nA title')
    report.table([
      { what: 'a|b', figure: { median: 1 } },
      { what: 'c', extra: 2 },
    ])
    expect(report.text()).toBe(
      [
        '*A title*',
        '',
        '| what | figure | extra |',
        '| --- | --- | --- |',
        '| a\\|b | {"median":1} | - |',
        '| c | - | 2 |',
      ].join('\n'),
    )
  })

  it("come from a full run's sections, with the machine and its load", () => {
    const results: BenchResults = {
      machine,
      loadAverageAfter: [1.2, 0.9, 1],
      crypto: {
        tokenParseAndHashPerSecond: { min: 1, median: 2, max: 3 },
        scryptHashMs: { min: 60, median: 65, max: 70 },
        es256SignPerSecond: { min: 1, median: 2, max: 3 },
        es256VerifyPerSecond: { min: 1, median: 2, max: 3 },
      },
    }
    const text = benchTables(results)
    expect(text).toContain('Run of 2026-11-25 23:40 UTC: 2 × AMD EPYC, Node v20.20.2')
    expect(text).toContain('load average 0.5 / 0.7 / 1 before and 1.2 / 0.9 / 1 after')
    expect(text).toContain('| scryptHashMs | 65 (60-70) |')
  })

  it("include the lifecycle section's sweeper and leak-report rows when the run has them", () => {
    const run = <T>(ms: number, calls: Record<string, number>, result: T) => ({
      ms,
      cpuMs: ms / 10,
      calls,
      result,
    })
    const sweepResult = { warned: 1000, expired: 0, revoked: 0, done: false }
    const text = benchTables({
      machine,
      lifecycle: {
        sweeper: {
          tokens: 100_000,
          due: 1000,
          seedSeconds: 64,
          rawQuery: run(740, { Query: 1 }, 1000),
          first: run(8132, { Query: 12, UpdateItem: 1000 }, sweepResult),
          again: run(111, { Query: 2 }, { ...sweepResult, warned: 0, done: true }),
        },
        leak: {
          live: 100,
          unknown: 400,
          garbage: 500,
          first: run(3232, { BatchGetItem: 6 }, { truePositives: 100, answers: 1000 }),
          again: run(782, { BatchGetItem: 6 }, { truePositives: 0, answers: 1000 }),
        },
      },
    })
    expect(text).toContain('*The sweeper: 100000 tokens, 1000 due')
    expect(text).toContain(
      '| sweeper, first run | 8132 | 813.2 | 12 Query + 1000 UpdateItem | warned 1000, expired 0, revoked 0 (budget reached) |',
    )
    expect(text).toContain(
      '| first report | 3232 | 323.2 | 6 BatchGetItem | 1000 answers, 100 true positives |',
    )
  })

  it("show the load client's new connections per round, and '-' for a run from before they were counted", () => {
    const s = (median: number) => ({ min: median, median, max: median })
    const rounds = { p50: s(10), p99: s(20), rps: s(100), cpuUs: s(1000) }
    const watched = { loopP99Ms: s(1), loopMaxMs: s(2), gcMsPer1000: s(3) }
    const row: LatencyRow = {
      route: 'GET /api/tokens (personal token)',
      inFlight: 64,
      raw: rounds,
      handler: rounds,
      http: rounds,
      httpFloor: rounds,
      serviceProcess: { raw: watched, http: watched },
      ratios: {
        p50HandlerRaw: 1,
        p50HttpRaw: 1,
        p50HttpFloor: 1,
        p99HttpRaw: 1,
        cpuHttpRaw: 1,
        cpuHttpFloor: 1,
      },
    }
    const { connections, ...old } = {
      ...row,
      connections: { http: { min: 0, median: 0, max: 64 }, httpFloor: s(0) },
    }
    const table = (latency: LatencyRow[]) =>
      benchTables({ machine: { ...machine, sections: ['latency'] }, latency })
        .split('\n')
        .filter((line) => line.startsWith('| GET /api/tokens'))
    expect(table([{ ...old, connections }])[0]).toContain('| 1 | 0 (0-64) | 1 | 2 | 3 | 1 |')
    expect(table([old])[0]).toContain('| 1 | - | 1 | 2 | 3 | 1 |')
  })

  it("show the HTTP floor over the service's own transport (f) with its ratios, and no (f) columns for a run from before it was measured", () => {
    const s = (median: number) => ({ min: median - 1, median, max: median + 1 })
    const path = (p50: number, p99: number, cpuUs: number) => ({
      p50: s(p50),
      p99: s(p99),
      rps: s(500),
      cpuUs: s(cpuUs),
    })
    const watched = { loopP99Ms: s(1), loopMaxMs: s(2), gcMsPer1000: s(3) }
    const old: LatencyRow = {
      route: 'GET /api/tokens (personal token)',
      inFlight: 16,
      raw: path(10, 20, 900),
      handler: path(11, 21, 1000),
      http: path(12, 24, 800),
      httpFloor: path(13, 26, 1600),
      serviceProcess: { raw: watched, http: watched },
      ratios: {
        p50HandlerRaw: 1.1,
        p50HttpRaw: 1.2,
        p50HttpFloor: 0.92,
        p99HttpRaw: 1.2,
        cpuHttpRaw: 0.89,
        cpuHttpFloor: 0.5,
      },
    }
    const now: LatencyRow = {
      ...old,
      leanFloor: path(9, 18, 400),
      ratios: { ...old.ratios, p50HttpLeanFloor: 1.33, cpuHttpLeanFloor: 2 },
    }
    const lines = (latency: LatencyRow[]) =>
      benchTables({ machine: { ...machine, sections: ['latency'] }, latency }).split('\n')
    const [title, , header, , row] = lines([now]).slice(2)
    expect(title).toContain(
      "(f) the same bare server and raw calls over the service's own DynamoDB transport",
    )
    expect(header).toContain(
      '| d p50 | d p99 | f p50 | f p99 | c cpu | d cpu | f cpu | c/a p50 | c/d p50 | c/f p50 | c/a p99 | c/a cpu | c/d cpu | c/f cpu |',
    )
    expect(row).toContain(
      '| 13 (12-14) | 26 (25-27) | 9 (8-10) | 18 (17-19) | 800 (799-801) | 1600 (1599-1601) | 400 (399-401) | 1.2 | 0.92 | 1.33 | 1.2 | 0.89 | 0.5 | 2 |',
    )
    const [oldTitle, , oldHeader] = lines([old]).slice(2)
    expect(oldTitle).not.toContain('(f)')
    expect(oldHeader).toContain('| d p99 | c cpu | d cpu | c/a p50 | c/d p50 | c/a p99 |')
    expect(oldHeader).not.toContain('f p50')
  })

  it('say so rather than quote a quick run or one from before the method changed', () => {
    for (const old of [
      { ...machine, quick: true },
      { ...machine, sections: undefined },
    ])
      expect(benchTables({ machine: old })).toMatch(/^No full run of the current bench/)
  })
})
