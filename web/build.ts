import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { type BuildOptions, build, buildSync, type OutputFile } from 'esbuild'

/**
 * Builds the web console: one ES module and one stylesheet, minified, with content
 * hashes in their names, and the page that loads them. Offline and in memory
 * (well under a second), so `npm start` builds it on first request and the CDK app
 * when it synthesises: nothing built is committed, so it can't go stale.
 */
export interface ConsoleFile {
  body: Buffer
  type: string
  /** Hashed assets never change under their name; the page is always revalidated. */
  immutable: boolean
}

const here = new URL('.', import.meta.url).pathname

const options: BuildOptions & { write: false } = {
  entryPoints: [join(here, 'src/main.ts'), join(here, 'src/style.css')],
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome120', 'firefox121', 'safari17'],
  write: false,
  outdir: '/assets',
  entryNames: '[name]-[hash]',
  legalComments: 'none',
  logLevel: 'silent',
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
}

function assemble(outputs: OutputFile[]): Map<string, ConsoleFile> {
  const files = new Map<string, ConsoleFile>()
  const names: Record<string, string> = {}
  for (const output of outputs) {
    const extension = output.path.slice(output.path.lastIndexOf('.'))
    const type = TYPES[extension]
    if (!type) continue
    files.set(output.path, { body: Buffer.from(output.contents), type, immutable: true })
    names[extension] = output.path
  }
  const template = readFileSync(join(here, 'index.html'), 'utf8')
  const page = template.replace('%JS%', names['.js'] ?? '').replace('%CSS%', names['.css'] ?? '')
  files.set('/', { body: Buffer.from(page), type: 'text/html; charset=utf-8', immutable: false })
  return files
}

/** The console's files by URL path (`/` is the page). */
export async function buildConsole(): Promise<Map<string, ConsoleFile>> {
  return assemble((await build(options)).outputFiles)
}

/**
 * Writes the built console to a folder (`index.html` for `/`), for S3. Synchronous,
 * because the CDK's local bundling hook is.
 */
export function writeConsole(outdir: string): void {
  const files = assemble(buildSync(options).outputFiles)
  rmSync(join(outdir, 'assets'), { recursive: true, force: true })
  for (const [path, file] of files) {
    const target = join(outdir, path === '/' ? 'index.html' : path)
    mkdirSync(dirname(target), { recursive: true })
    writeFileSync(target, file.body)
  }
}

/**
 * The page's Content-Security-Policy: its own scripts, styles and API only; no
 * inline script or style, no framing, no plugins, forms post nowhere else.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

/** The security headers every console response carries (locally and on CloudFront). */
export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const outdir = process.argv[2] ?? join(here, 'dist')
  writeConsole(outdir)
  console.log(`Console written to ${outdir}`)
}
