/**
 * Cold-start proxy: every function bundled with the CDK stack's own esbuild
 * settings, its size, and its module initialisation time in a fresh node process
 * against a bare `node -e 0`.
 */
import { execFileSync } from 'node:child_process'
import { mkdir, rm } from 'node:fs/promises'
import { build } from 'esbuild'
import { streamHandler } from '../infra/constructs/events.js'
import { bundling } from '../infra/constructs/function.js'
import { writeJwtKeyFile } from '../shared/keys/local-jwt-keys.js'
import { writeSealKeyFile } from '../shared/keys/local-sealer.js'
import { fallbackHandler, routeList } from '../shared/routes.js'
import { median, round } from './stats.js'

const root = new URL('..', import.meta.url).pathname
const outDir = `${root}bench/out`
const keyFile = `${outDir}/jwt-keys.json`
const sealFile = `${outDir}/seal-key.json`

function timeNode(args: string[], runs: number): number {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    execFileSync(process.execPath, args, {
      env: {
        PATH: process.env.PATH,
        TABLE_NAME: 'bench',
        AWS_REGION: 'eu-west-1',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        JWT_KEY_FILE: keyFile,
        SEAL_KEY_FILE: sealFile,
        EVENT_BUS_NAME: 'bench',
        LATCHKEY_TEAM: 'bench', // the authorizer's
      },
    })
    times.push(performance.now() - t0)
  }
  return median(times)
}

/** The stack's `--alias:from=to` esbuild arguments, in the build API's form. */
function aliases(): Record<string, string> {
  const entries = Object.entries(bundling.esbuildArgs ?? {})
    .filter(([flag]) => flag.startsWith('--alias:'))
    .map(([flag, target]) => [flag.slice('--alias:'.length), String(target)])
  return Object.fromEntries(entries)
}

/** The authorizer's row in the results. */
export const AUTHORIZER = 'authorizer (latchkey/cdk)'

export interface BundleResult {
  handler: string
  bytes: number
  initMs: number
  ratioToBareNode: number
  /** Against a bundle holding only the SDK's DynamoDB DocumentClient. */
  ratioToSdkFloor: number
}

/** Bundles one entry exactly as the stack does; the metafile says what went in. */
export async function bundleFunction(entry: string, outfile: string) {
  const { metafile } = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    minify: bundling.minify,
    format: 'esm',
    target: bundling.target,
    mainFields: bundling.mainFields,
    banner: { js: bundling.banner ?? '' },
    alias: aliases(),
    logLevel: 'error',
    metafile: true,
  })
  const output = metafile.outputs[Object.keys(metafile.outputs)[0] ?? '']
  const inputs = Object.entries(output?.inputs ?? {}).map(([file, { bytesInOutput }]) => ({
    file,
    bytes: bytesInOutput,
  }))
  return { bytes: output?.bytes ?? 0, inputs }
}

const bundle = async (entry: string, outfile: string) =>
  (await bundleFunction(entry, outfile)).bytes

const importTime = (file: string, runs: number) =>
  timeNode(['--input-type=module', '-e', `await import(${JSON.stringify(file)})`], runs)

export async function measureBundles(runs: number): Promise<{
  bareNodeMs: number
  sdkFloor: { bytes: number; initMs: number }
  bundles: BundleResult[]
}> {
  await mkdir(outDir, { recursive: true })
  await writeJwtKeyFile(keyFile)
  await rm(sealFile, { force: true })
  await writeSealKeyFile(sealFile)
  const handlers = [
    ...new Set([...routeList.map((r) => r.handler), fallbackHandler, streamHandler]),
  ]
  const bareNodeMs = timeNode(['-e', '0'], runs)
  const floorFile = `${outDir}/sdk-floor.mjs`
  const floorBytes = await bundle(`${root}bench/floor.ts`, floorFile)
  const floorMs = importTime(floorFile, runs)
  const entries = [
    ...handlers.map((handler) => [handler, `functions/${handler}.ts`] as const),
    // Not a route of ours: the authorizer users put in front of their own APIs.
    [AUTHORIZER, 'authorizer/handler.ts'] as const,
  ]
  const bundles: BundleResult[] = []
  for (const [handler, entry] of entries) {
    const outfile = `${outDir}/${handler.replace('/', '-')}.mjs`
    const bytes = await bundle(`${root}${entry}`, outfile)
    const initMs = importTime(outfile, runs)
    bundles.push({
      handler,
      bytes,
      initMs: round(initMs, 1),
      ratioToBareNode: round(initMs / bareNodeMs),
      ratioToSdkFloor: round(initMs / floorMs),
    })
  }
  return {
    bareNodeMs: round(bareNodeMs, 1),
    sdkFloor: { bytes: floorBytes, initMs: round(floorMs, 1) },
    bundles,
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await measureBundles(5), null, 2))
}
