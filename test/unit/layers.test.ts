import { readdir, readFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '../..')

/**
 * Which layer may import which. The domain speaks no HTTP: only `shared/http` (and
 * the functions and the local server above it) turn domain errors into statuses and
 * headers. The CLI maps the same errors to exit codes on its own.
 */
const rules: { from: string; mayNotImport: string; fix: string }[] = [
  ...[
    'shared/domain',
    'shared/data',
    'shared/auth',
    'shared/tokens',
    'shared/keys',
    'shared/events',
    'cli',
  ].map((from) => ({
    from,
    mayNotImport: 'shared/http',
    fix: 'raise errors from shared/errors.ts; only shared/http maps them to HTTP',
  })),
  {
    from: 'shared/data',
    mayNotImport: 'shared/domain',
    fix: 'the data layer sits below the domain',
  },
  { from: 'shared', mayNotImport: 'functions', fix: 'handlers sit on top of shared/' },
  { from: 'shared', mayNotImport: 'local', fix: 'the local server sits on top of shared/' },
]

async function sources(folder: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, folder), { recursive: true, withFileTypes: true })
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
}

/** Every relative import of a file, as a path from the repository root. */
async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(join(ROOT, file), 'utf8')
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map(
    (m) => m[1] ?? '',
  )
  return specifiers.map((specifier) => relative(ROOT, resolve(ROOT, dirname(file), specifier)))
}

describe('layers', () => {
  it.each(rules)('$from does not import $mayNotImport', async ({ from, mayNotImport, fix }) => {
    const offenders: string[] = []
    for (const file of await sources(from)) {
      for (const target of await importsOf(file))
        if (target === mayNotImport || target.startsWith(`${mayNotImport}/`))
          offenders.push(`${file} imports ${target}`)
    }
    expect(offenders, fix).toEqual([])
  })

  it('sees the imports it checks (a file known to import the domain is found)', async () => {
    expect(await importsOf('functions/tokens/list.ts')).toContain('shared/domain/access-tokens.js')
  })
})
