import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib'
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms'
import type { Construct } from 'constructs'
import { LatchkeyApi } from './constructs/api.js'
import { LatchkeyEvents } from './constructs/events.js'
import { LatchkeyMonitoring } from './constructs/monitoring.js'
import { LatchkeySweeper } from './constructs/sweeper.js'
import { LatchkeyTable } from './constructs/table.js'

export interface LatchkeyStackProps extends StackProps {
  stage: string
  /** Browser origins for CORS (context `corsOrigins`, comma-separated); off when empty. */
  corsOrigins?: string[]
  /** X-Ray active tracing on every function (context `tracing=true`). */
  tracing?: boolean
  /** Alarm notifications (contexts `alarmEmail`, `alarmTopicArn`, `authFailureThreshold`). */
  alarms?: { email?: string; topicArn?: string; authFailureThreshold?: number }
}

/** Latchkey on AWS: the table, and the API generated from the route table. */
export class LatchkeyStack extends Stack {
  readonly api: LatchkeyApi
  readonly table: LatchkeyTable
  readonly jwtKey: Key
  readonly sealKey: Key
  readonly events: LatchkeyEvents
  readonly monitoring: LatchkeyMonitoring
  readonly sweeper: LatchkeySweeper

  constructor(scope: Construct, id: string, props: LatchkeyStackProps) {
    super(scope, id, props)
    this.table = new LatchkeyTable(this, 'Data')
    // Service bearer tokens are signed in KMS: the private key never leaves it.
    // Asymmetric keys have no automatic rotation; rotate by adding a new key and
    // listing the old one in JWT_KMS_PREVIOUS_KEY_IDS until its tokens expire.
    this.jwtKey = new Key(this, 'ServiceTokenKey', {
      description: `Latchkey ${props.stage}: signs service bearer tokens (ES256)`,
      keySpec: KeySpec.ECC_NIST_P256,
      keyUsage: KeyUsage.SIGN_VERIFY,
      removalPolicy: RemovalPolicy.RETAIN,
    })
    // Enrollment tokens are sealed with KMS data keys (envelope encryption), because
    // fetching one returns it again; yearly automatic rotation keeps old ones opening.
    this.sealKey = new Key(this, 'SealKey', {
      description: `Latchkey ${props.stage}: seals enrollment tokens at rest`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    })
    this.api = new LatchkeyApi(this, 'Api', {
      table: this.table.table,
      jwtKey: this.jwtKey,
      sealKey: this.sealKey,
      throttle: { rateLimit: 200, burstLimit: 400 },
      corsOrigins: props.corsOrigins,
      tracing: props.tracing,
    })
    this.events = new LatchkeyEvents(this, 'Events', {
      table: this.table.table,
      stage: props.stage,
      tracing: props.tracing,
    })
    this.sweeper = new LatchkeySweeper(this, 'Sweeper', {
      table: this.table.table,
      tracing: props.tracing,
    })
    this.monitoring = new LatchkeyMonitoring(this, 'Monitoring', {
      stage: props.stage,
      api: this.api.api,
      streamFunction: this.events.handler,
      table: this.table.table,
      deadLetters: this.events.failures,
      existingAlarms: [this.events.alarm],
      alarmEmail: props.alarms?.email,
      alarmTopicArn: props.alarms?.topicArn,
      authFailureThreshold: props.alarms?.authFailureThreshold,
    })
    new CfnOutput(this, 'ApiUrl', { value: this.api.api.apiEndpoint })
    new CfnOutput(this, 'EventBusName', { value: this.events.bus.eventBusName })
    new CfnOutput(this, 'TableName', { value: this.table.table.tableName })
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName })
  }
}
