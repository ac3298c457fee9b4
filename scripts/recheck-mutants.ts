/**
 * Second opinion on Stryker's survivors (`npm run mutate:recheck [report] [files...]`).
 * Stryker's per-test coverage misses some tests under vitest: a constant built at
 * module load and also re-imported inside a test (vi.resetModules) counts as covered
 * by that one test only, so the tests that would kill it never run ("static" in the
 * report); a few `it.each` cases are missed too. This plants each survivor of the last
 * report (reports/mutation/mutation.json) in a copy of the tree, runs every unit test
 * file that covers any mutant of its module, and prints killed or SURVIVED per mutant
 * and a score per module. The working tree is never touched. Test files added since
 * the report: RECHECK_TESTS=test/unit/x.test.ts,... (else run Stryker again first);
 * RECHECK_ONLY=... runs only those files.
 */
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'

interface Position {
  line: number
  column: number
}
interface Mutant {
  status: string
  mutatorName: string
  replacement?: string
  static?: boolean
  coveredBy?: string[]
  location: { start: Position; end: Position }
}
interface Report {
  files: Record<string, { source: string; mutants: Mutant[] }>
  testFiles?: Record<string, { tests: { id: string }[] }>
}

const [reportPath = 'reports/mutation/mutation.json', ...only] = process.argv.slice(2)
const report = JSON.parse(readFileSync(reportPath, 'utf8')) as Report
// Test files written since the report (RECHECK_TESTS=a.test.ts,b.test.ts), so a new test
// file counts without running Stryker again first.
const extraTests = (process.env.RECHECK_TESTS ?? '').split(',').filter(Boolean)
// Or only these test files (RECHECK_ONLY=...): much faster for a module every handler test
// covers (the middleware); it can only miss kills, never invent them.
const onlyTests = (process.env.RECHECK_ONLY ?? '').split(',').filter(Boolean)
const fileOfTest = new Map<string, string>()
for (const [file, { tests }] of Object.entries(report.testFiles ?? {}))
  for (const test of tests) fileOfTest.set(test.id, file)

// A copy of the tree (node_modules linked), so a planted mutant never reaches the real one.
const copy = mkdtempSync(join(tmpdir(), 'latchkey-recheck-'))
const skip = new Set(['node_modules', '.git', 'reports', '.stryker-tmp', 'cdk.out', '.latchkey'])
const root = process.cwd()
cpSync(root, copy, {
  recursive: true,
  filter: (path) => !skip.has(relative(root, path).split('/')[0] ?? ''),
})
symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'))

const offset = (source: string, at: Position) =>
  source
    .split('\n')
    .slice(0, at.line - 1)
    .reduce((sum, line) => sum + line.length + 1, at.column - 1)

let [allKilled, allCounted] = [0, 0]
try {
  for (const [file, { mutants }] of Object.entries(report.files)) {
    if (only.length > 0 && !only.includes(file)) continue
    const source = readFileSync(file, 'utf8')
    const testFiles =
      onlyTests.length > 0
        ? onlyTests
        : [
            ...new Set([
              ...mutants.flatMap((m) =>
                (m.coveredBy ?? []).flatMap((id) => fileOfTest.get(id) ?? []),
              ),
              ...extraTests,
            ]),
          ]
    let killed = mutants.filter((m) => m.status === 'Killed' || m.status === 'Timeout').length
    const open = mutants.filter((m) => m.status === 'Survived' || m.status === 'NoCoverage')
    for (const mutant of open) {
      const [from, to] = [
        offset(source, mutant.location.start),
        offset(source, mutant.location.end),
      ]
      writeFileSync(
        join(copy, file),
        source.slice(0, from) + (mutant.replacement ?? '') + source.slice(to),
      )
      const run = spawnSync(
        'npx',
        ['vitest', 'run', '-c', 'vitest.mutate.config.ts', '--bail', '1', ...testFiles],
        { cwd: copy, encoding: 'utf8', timeout: 300_000 },
      )
      const dead = run.status !== 0
      if (dead) killed++
      const line = source.split('\n')[mutant.location.start.line - 1]?.trim().slice(0, 80)
      console.log(
        `${dead ? 'killed  ' : 'SURVIVED'} ${file}:${mutant.location.start.line} ${mutant.mutatorName}` +
          `${mutant.static ? ' (static)' : ''}: ${line} -> ${mutant.replacement?.slice(0, 60)}`,
      )
    }
    writeFileSync(join(copy, file), source)
    const counted = mutants.filter((m) => m.status !== 'Ignored' && m.status !== 'CompileError')
    allKilled += killed
    allCounted += counted.length
    console.log(
      `${file}: ${killed}/${counted.length} killed, ${((100 * killed) / counted.length).toFixed(1)}%`,
    )
  }
  console.log(
    `all: ${allKilled}/${allCounted} killed, ${((100 * allKilled) / allCounted).toFixed(1)}%`,
  )
} finally {
  rmSync(copy, { recursive: true, force: true })
}
