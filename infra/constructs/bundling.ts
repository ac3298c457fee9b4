import type { BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs'

/*
 * Kept apart from the construct (function.ts) and free of CDK imports at run time, so
 * the local server can bundle the authorizer as the stack does (local/authorizer.ts)
 * without loading aws-cdk-lib (2 s).
 */
const root = new URL('../..', import.meta.url).pathname

/**
 * The AWS services every function speaks through shared/aws/ (one SigV4 and
 * JSON-protocol core, lean-json.ts) in place of the SDK's clients: the code above them
 * imports the SDK's modules and does not know (its unit tests mock the real clients).
 */
const LEAN_AWS_ARGS = {
  '--alias:@aws-sdk/client-dynamodb': `${root}shared/aws/lean-dynamodb.ts`,
  '--alias:@aws-sdk/lib-dynamodb': `${root}shared/aws/lean-dynamodb.ts`,
  '--alias:@aws-sdk/client-kms': `${root}shared/aws/lean-kms.ts`,
  '--alias:@aws-sdk/client-eventbridge': `${root}shared/aws/lean-eventbridge.ts`,
}

/**
 * esbuild settings shared by the stack and the bundle-size benchmark, so the
 * benchmark measures exactly what deploys.
 */
export const bundling: BundlingOptions = {
  minify: true,
  // The map is built beside the bundle (cdk.out and the package) for scripts/map-stack.ts.
  sourceMap: true,
  format: 'esm' as OutputFormat, // OutputFormat.ESM, without loading the CDK
  target: 'node24',
  mainFields: ['module', 'main'],
  // The SDK is bundled (a pinned, tree-shaken copy) rather than taken from the runtime.
  externalModules: [],
  esbuildArgs: {
    // The next three matter only where the SDK is still bundled (sdkBundling, the bench's
    // floors): no function's own bundle has an SDK client left (LEAN_AWS_ARGS).
    // Lambda's credentials are always in the environment: drop the rest of the chain.
    '--alias:@aws-sdk/credential-provider-node': `${root}shared/aws/lambda-credentials.ts`,
    // No client of ours streams events: drop the codec the SDK would load lazily.
    '--alias:@smithy/core/event-streams': `${root}shared/aws/no-event-streams.ts`,
    // Nor enables DynamoDB endpoint discovery: drop its unread cache and LRU library.
    '--alias:@aws-sdk/middleware-endpoint-discovery': `${root}shared/aws/no-endpoint-discovery.ts`,
    // DynamoDB's, KMS's and EventBridge's JSON protocols spoken by shared/aws/, not the
    // SDK: the data layer, the key sources and the event sink unchanged, only the wire
    // below them differs. It halves a request's CPU and takes the SDK out of every
    // bundle (README Performance).
    ...LEAN_AWS_ARGS,
  },
  // CommonJS dependencies inside an ESM bundle need `require`.
  banner:
    "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
} as const

/**
 * The house settings with the AWS SDK's own clients: only for the benchmark's floors,
 * what a function on the SDK costs (bench/cold-start.ts).
 */
export const sdkBundling: BundlingOptions = {
  ...bundling,
  esbuildArgs: Object.fromEntries(
    Object.entries(bundling.esbuildArgs ?? {}).filter(([flag]) => !(flag in LEAN_AWS_ARGS)),
  ),
}
