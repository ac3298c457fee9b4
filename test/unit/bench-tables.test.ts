import { describe, expect, it } from 'vitest'
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

  it('say so rather than quote a quick run or one from before the method changed', () => {
    for (const old of [
      { ...machine, quick: true },
      { ...machine, sections: undefined },
    ])
      expect(benchTables({ machine: old })).toMatch(/^No full run of the current bench/)
  })
})
