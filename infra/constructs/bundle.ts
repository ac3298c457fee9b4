/** Every function bundled exactly as the CDK stack bundles it (bench/cold-start.ts, the bundle tests, local/authorizer.ts). */

import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs'
import { build } from 'esbuild'
import { bundling as house, sdkBundling } from './bundling.js'

/** The stack's `--alias:from=to` esbuild arguments, in the build API's form. */
function aliases(bundling: BundlingOptions): Record<string, string> {
  const entries = Object.entries(bundling.esbuildArgs ?? {})
    .filter(([flag]) => flag.startsWith('--alias:'))
    .map(([flag, target]) => [flag.slice('--alias:'.length), String(target)])
  return Object.fromEntries(entries)
}

/**
 * Bundles one entry exactly as the stack does (or, `sdk`, on the AWS SDK's DynamoDB
 * clients, for the benchmark's floors); the metafile says what went in.
 */
export async function bundleFunction(
  entry: string,
  outfile: string,
  options: { sdk?: boolean } = {},
) {
  const bundling = options.sdk ? sdkBundling : house
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
    alias: aliases(bundling),
    // As deployed: a linked `.mjs.map` beside the bundle (NODE_OPTIONS=--enable-source-maps reads it).
    sourcemap: bundling.sourceMap ? 'linked' : false,
    logLevel: 'error',
    metafile: true,
  })
  const name = Object.keys(metafile.outputs).find((file) => file.endsWith('.mjs'))
  const output = metafile.outputs[name ?? '']
  const inputs = Object.entries(output?.inputs ?? {}).map(([file, { bytesInOutput }]) => ({
    file,
    bytes: bytesInOutput,
  }))
  const map = Object.keys(metafile.outputs).find((file) => file.endsWith('.map'))
  return { bytes: output?.bytes ?? 0, mapBytes: metafile.outputs[map ?? '']?.bytes ?? 0, inputs }
}
