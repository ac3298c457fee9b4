import { Duration, Validations } from 'aws-cdk-lib'
import type { ITable } from 'aws-cdk-lib/aws-dynamodb'
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam'
import type { IKey } from 'aws-cdk-lib/aws-kms'
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda'
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs'
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs'
import type { Construct } from 'constructs'
import { tableSchema } from '../../shared/data/table.js'
import type { KeyUse, SealUse, TableAction } from '../../shared/routes.js'
import { bundling } from './bundling.js'

const root = new URL('../..', import.meta.url).pathname

export interface LatchkeyFunctionProps {
  /** Module under functions/, e.g. `tokens/list`. */
  handler: string
  environment: Record<string, string>
  /** X-Ray active tracing (context `tracing=true`). */
  tracing?: boolean
  /** Another entry file (repository-relative), for functions that serve no route of ours. */
  entry?: string
}

export interface Sizing {
  memoryMb: number
  timeoutSeconds: number
}

/**
 * Memory and timeout per function, from measurement (README, Operating Latchkey):
 * every bundle initialises in 31-45 MB of RSS and serves a request in well under
 * 100 ms locally, so memory buys CPU, not room. 512 MB (about 0.3 vCPU) keeps a cold
 * start near 200 ms; 6 s covers a cold start, SDK retries of a throttled call and
 * slow DynamoDB minutes with room, and still fails well inside API Gateway's 30 s.
 */
export const DEFAULT_SIZING: Sizing = { memoryMb: 512, timeoutSeconds: 6 }

export const SIZING: Record<string, Sizing> = {
  // scrypt (N=2^15, r=8: 32 MB, 65-71 ms on one full core) on every password grant,
  // found or not: 1024 MB (about 0.6 vCPU) keeps it near 120 ms.
  'grants/create': { memoryMb: 1024, timeoutSeconds: 6 },
  // A create over a name being deleted finishes that deletion first, starting steps for
  // up to 10 s (REPLACE_BUDGET_MS in shared/domain/projects.ts); a step of 1,000
  // children takes a second or two when throttled: 20 s, inside API Gateway's 30 s.
  'projects/create': { memoryMb: 512, timeoutSeconds: 20 },
  // Delete-all and project delete are marks now (one write each, constant time: the
  // default suffices for both; see README, Limits).
  // A batch of 100 records: at most 10 PutEvents calls, each tried 3 times with
  // backoff (2-4 ms a call locally), and steps (a delete-all sweep step of 1,000 tokens:
  // about 3 s on DynamoDB Local; a project cascade step of 1,000 children) only while
  // 10 s are left (STEP_RESERVE_MS in shared/domain/sweeps.ts): the rest are passed on.
  'events/stream': { memoryMb: 512, timeoutSeconds: 30 },
  // At most 1,000 tokens a run (SWEEP_BUDGET), each a write or two of a few ms: well
  // under a minute; what is left waits for the next run.
  'sweeper/run': { memoryMb: 512, timeoutSeconds: 120 },
}

export const sizingOf = (handler: string): Sizing => SIZING[handler] ?? DEFAULT_SIZING

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
      entry: `${root}${props.entry ?? `functions/${props.handler}.ts`}`,
      handler: 'handler',
      projectRoot: root,
      depsLockFilePath: `${root}package-lock.json`,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: sizingOf(props.handler).memoryMb,
      timeout: Duration.seconds(sizingOf(props.handler).timeoutSeconds),
      ...(props.tracing && { tracing: Tracing.ACTIVE }),
      logGroup,
      // No --enable-source-maps: parsing the map costs 13-15 ms of CPU at every cold
      // start (bench/cold-start.ts); traces are mapped afterwards (scripts/map-stack.ts).
      environment: props.environment,
      bundling,
    })
    if (props.tracing)
      Validations.of(role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray tracing (context tracing=true): xray:PutTraceSegments and ' +
          'xray:PutTelemetryRecords take no resource-level permissions, so their resource is *.',
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

  /**
   * Only the listed item actions, on the table itself (no `*`; `Scan` only where listed:
   * the sweeper's index migration), and
   * `QueryIndex` as `Query` on the one index's ARN only.
   */
  allowTableActions(table: ITable, actions: readonly TableAction[]): void {
    const onTable = [...new Set(actions)].filter((action) => action !== 'QueryIndex')
    if (onTable.length > 0)
      this.addToRolePolicy(
        new PolicyStatement({
          actions: onTable.sort().map((action) => `dynamodb:${action}`),
          resources: [table.tableArn],
        }),
      )
    if (actions.includes('QueryIndex'))
      this.addToRolePolicy(
        new PolicyStatement({
          actions: ['dynamodb:Query'],
          resources: [`${table.tableArn}/index/${tableSchema.index.name}`],
        }),
      )
  }
}
