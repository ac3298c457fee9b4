import { Duration } from 'aws-cdk-lib'
import type { ITable } from 'aws-cdk-lib/aws-dynamodb'
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam'
import type { IKey } from 'aws-cdk-lib/aws-kms'
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda'
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs'
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs'
import type { Construct } from 'constructs'
import type { KeyUse, SealUse, TableAction } from '../../shared/routes.js'

const root = new URL('../..', import.meta.url).pathname

/**
 * esbuild settings shared by the stack and the bundle-size benchmark, so the
 * benchmark measures exactly what deploys.
 */
export const bundling: BundlingOptions = {
  minify: true,
  sourceMap: true,
  format: OutputFormat.ESM,
  target: 'node24',
  mainFields: ['module', 'main'],
  // The SDK is bundled (a pinned, tree-shaken copy) rather than taken from the runtime.
  externalModules: [],
  esbuildArgs: {
    // Lambda's credentials are always in the environment: drop the rest of the chain.
    '--alias:@aws-sdk/credential-provider-node': `${root}shared/aws/lambda-credentials.ts`,
    // No client of ours streams events: drop the codec the SDK would load lazily.
    '--alias:@smithy/core/event-streams': `${root}shared/aws/no-event-streams.ts`,
  },
  // CommonJS dependencies inside an ESM bundle need `require`.
  banner:
    "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
} as const

export interface LatchkeyFunctionProps {
  /** Module under functions/, e.g. `tokens/list`. */
  handler: string
  environment: Record<string, string>
}

/**
 * The house Lambda function: one per route, arm64, the newest Node.js runtime,
 * bundled locally by esbuild (no Docker), its own log group with a retention, and
 * no permissions until an intent-named grant adds exactly what its route needs.
 */
export class LatchkeyFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: LatchkeyFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, { retention: RetentionDays.ONE_MONTH })
    // Its own role instead of AWSLambdaBasicExecutionRole: logs to its own group only.
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    })
    role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    )
    super(scope, id, {
      role,
      entry: `${root}functions/${props.handler}.ts`,
      handler: 'handler',
      projectRoot: root,
      depsLockFilePath: `${root}package-lock.json`,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.seconds(10),
      logGroup,
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      bundling,
    })
  }

  /** Only the listed uses of the service-token key: signing, or reading its public half. */
  allowKeyUses(key: IKey, uses: readonly KeyUse[]): void {
    const actions = [...new Set(uses)].map((use) =>
      use === 'sign' ? 'kms:Sign' : 'kms:GetPublicKey',
    )
    if (actions.length === 0) return
    this.addToRolePolicy(new PolicyStatement({ actions: actions.sort(), resources: [key.keyArn] }))
  }

  /** Only the listed uses of the sealing key: a data key to seal with, or opening one. */
  allowSealUses(key: IKey, uses: readonly SealUse[]): void {
    const actions = [...new Set(uses)].map((use) =>
      use === 'seal' ? 'kms:GenerateDataKey' : 'kms:Decrypt',
    )
    if (actions.length === 0) return
    this.addToRolePolicy(new PolicyStatement({ actions: actions.sort(), resources: [key.keyArn] }))
  }

  /** Only the listed item actions, on the table itself (no index, no `Scan`, no `*`). */
  allowTableActions(table: ITable, actions: readonly TableAction[]): void {
    if (actions.length === 0) return
    this.addToRolePolicy(
      new PolicyStatement({
        actions: [...new Set(actions)].sort().map((action) => `dynamodb:${action}`),
        resources: [table.tableArn],
      }),
    )
  }
}
