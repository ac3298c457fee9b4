/**
 * Section "cold start": every function bundled with the CDK stack's own esbuild
 * settings (its `.mjs.map` beside it), imported in a fresh node as Lambda would, and
 * measured as the CPU time (user + system) of that whole process: stable on a
 * shared machine where wall time is not. Each bundle in two configurations, run
 * alternately: with NODE_OPTIONS=--enable-source-maps (which parses the map at load)
 * and as deployed now, without it; against `node -e 0` and the SDK floor (a bundle of
 * nothing but the DynamoDB DocumentClient).
 */
import { execFileSync } from 'node:child_process'
import { mkdir, rm } from 'node:fs/promises'
import { bundleFunction } from '../infra/constructs/bundle.js'
import { streamHandler } from '../infra/constructs/events.js'
import { writeJwtKeyFile } from '../shared/keys/local-jwt-keys.js'
import { writeSealKeyFile } from '../shared/keys/local-sealer.js'
import { fallbackHandler, routeList } from '../shared/routes.js'
import { type Report, round, type Spread, show, spread } from './stats.js'

const root = new URL('..', import.meta.url).pathname
const outDir = `${root}bench/out`
const keyFile = `${outDir}/jwt-keys.json`
const sealFile = `${outDir}/seal-key.json`

/** The authorizer's row in the results. */
export const AUTHORIZER = 'authorizer (latchkey/cdk)'
/** The same authorizer on the SDK's DynamoDB clients: what its lean transport saves. */
export const AUTHORIZER_ON_SDK = 'authorizer on the SDK (not deployed)'

/**
 * What the stack set on every function until the measurement below decided against it
 * (infra/constructs/function.ts): the bundle's map parsed at load, for stack traces.
 */
const MAPS_FLAGS = ['--enable-source-maps']

/** Prints the process's own CPU time (µs) once the module has loaded. */
const probe = (file?: string) =>
  `${file ? `await import(${JSON.stringify(file)});` : ''}const u = process.cpuUsage(); process.stdout.write(String(u.user + u.system))`

function cpuMs(flags: string[], file?: string): number {
  const out = execFileSync(process.execPath, [...flags, '--input-type=module', '-e', probe(file)], {
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
  return Number(out.toString()) / 1000
}

export interface ColdRow {
  handler: string
  bytes: number
  mapBytes: number
  /** CPU ms of the whole process, with --enable-source-maps and as deployed (without). */
  mapsOnCpuMs: Spread
  deployedCpuMs: Spread
  /** Medians against the SDK floor's (without maps). */
  mapsOnVsFloor: number
  deployedVsFloor: number
}

export interface ColdResult {
  runs: number
  bareNodeCpuMs: Spread
  sdkFloor: { bytes: number; cpuMs: Spread }
  bundles: ColdRow[]
}

/**
 * `only`: the handlers (or the authorizer rows) to measure, all when empty; the floor
 * and bare node are always measured, so a targeted run's ratios stand beside a full
 * run's (`npx tsx bench/cold-start.ts 10 auth/service-token events/stream`).
 */
export async function measureColdStart(runs: number, only: string[] = []): Promise<ColdResult> {
  await mkdir(outDir, { recursive: true })
  await writeJwtKeyFile(keyFile)
  await rm(sealFile, { force: true })
  await writeSealKeyFile(sealFile)
  const handlers = [
    ...new Set([...routeList.map((r) => r.handler), fallbackHandler, streamHandler]),
  ]
  const times = (flags: string[], file?: string) =>
    spread(
      Array.from({ length: runs }, () => cpuMs(flags, file)),
      1,
    )
  const bareNodeCpuMs = times([])
  const floorFile = `${outDir}/sdk-floor.mjs`
  const floor = await bundleFunction(`${root}bench/floor.ts`, floorFile, { sdk: true })
  const floorCpu = times([], floorFile)
  const entries: [string, string, { sdk?: boolean }][] = [
    ...handlers.map((handler): [string, string, { sdk?: boolean }] => [
      handler,
      `functions/${handler}.ts`,
      {},
    ]),
    // Not a route of ours: the authorizer users put in front of their own APIs, on the
    // lean DynamoDB transport as deployed, and on the SDK for comparison.
    [AUTHORIZER, 'authorizer/handler.ts', {}],
    [AUTHORIZER_ON_SDK, 'authorizer/handler.ts', { sdk: true }],
  ]
  const bundles: ColdRow[] = []
  for (const [handler, entry, options] of entries) {
    if (only.length > 0 && !only.includes(handler)) continue
    const outfile = `${outDir}/${handler.replace('/', '-').replace(/[^\w.-]+/g, '_')}.mjs`
    const { bytes, mapBytes } = await bundleFunction(`${root}${entry}`, outfile, options)
    // Alternated, so drift on a shared machine falls on both configurations alike.
    const mapsOn: number[] = []
    const deployed: number[] = []
    for (let i = 0; i < runs; i++) {
      mapsOn.push(cpuMs(MAPS_FLAGS, outfile))
      deployed.push(cpuMs([], outfile))
    }
    const mapsOnCpuMs = spread(mapsOn, 1)
    const deployedCpuMs = spread(deployed, 1)
    bundles.push({
      handler,
      bytes,
      mapBytes,
      mapsOnCpuMs,
      deployedCpuMs,
      mapsOnVsFloor: round(mapsOnCpuMs.median / floorCpu.median),
      deployedVsFloor: round(deployedCpuMs.median / floorCpu.median),
    })
  }
  return { runs, bareNodeCpuMs, sdkFloor: { bytes: floor.bytes, cpuMs: floorCpu }, bundles }
}

export function printColdStart(report: Report, result: ColdResult) {
  report.log(
    `\nCold start: CPU ms (user+system) of a fresh node importing each bundle, median (min-max) of ${result.runs}; bare node ${show(result.bareNodeCpuMs)}, SDK floor ${show(result.sdkFloor.cpuMs)} (${round(result.sdkFloor.bytes / 1024, 1)} KB)`,
  )
  report.table(
    result.bundles.map((b) => ({
      handler: b.handler,
      kb: round(b.bytes / 1024, 1),
      'map kb': round(b.mapBytes / 1024, 1),
      'maps on': show(b.mapsOnCpuMs),
      'deployed (maps off)': show(b.deployedCpuMs),
      'x floor (on)': b.mapsOnVsFloor,
      'x floor (deployed)': b.deployedVsFloor,
    })),
  )
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [runs = '5', ...only] = process.argv.slice(2)
  printColdStart(console, await measureColdStart(Number(runs), only))
}
