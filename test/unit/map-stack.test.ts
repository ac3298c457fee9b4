import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'esbuild'
import { expect, it } from 'vitest'

const root = new URL('../..', import.meta.url).pathname

/**
 * Functions start without --enable-source-maps (it cost 13-15 ms of CPU a cold start),
 * so their traces are minified: scripts/map-stack.ts must turn them back into source lines.
 */
it('maps a minified bundle trace back to the source file and line', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-map-'))
  const entry = join(dir, 'thrower.ts')
  await writeFile(entry, "export function fail(): never {\n  throw new Error('boom')\n}\nfail()\n")
  await build({
    entryPoints: [entry],
    outfile: join(dir, 'index.mjs'),
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    sourcemap: 'linked',
    logLevel: 'error',
  })
  const run = spawnSync(process.execPath, [join(dir, 'index.mjs')], { encoding: 'utf8' })
  expect(run.stderr).toMatch(/index\.mjs:\d+:\d+/)
  const mapped = execFileSync(
    process.execPath,
    ['--import', 'tsx', `${root}scripts/map-stack.ts`, join(dir, 'index.mjs.map')],
    { input: run.stderr, encoding: 'utf8' },
  )
  expect(mapped).toMatch(/thrower\.ts:2:\d+/)
  expect(mapped).not.toMatch(/index\.mjs:\d+:\d+/)
})
