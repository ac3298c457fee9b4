import { Duration } from 'aws-cdk-lib'
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch'
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb'
import { EventBus } from 'aws-cdk-lib/aws-events'
import { PolicyStatement } from 'aws-cdk-lib/aws-iam'
import { StartingPosition } from 'aws-cdk-lib/aws-lambda'
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources'
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs'
import { Construct } from 'constructs'
import { LatchkeyFunction } from './function.js'

export interface LatchkeyEventsProps {
  table: ITableV2
  stage: string
  tracing?: boolean
}

/** What the stream function does to the table: a delete-all's sweep steps. */
export const SWEEP_ACTIONS = ['Query', 'DeleteItem', 'BatchWriteItem', 'UpdateItem'] as const

/** The stream function's module under functions/ (not an HTTP route). */
export const streamHandler = 'events/stream'

/**
 * Events without dual writes: the table's change stream feeds one function that
 * publishes the contract's events to an EventBridge bus. Batches are bisected on
 * error and answered with partial batch responses; records that still fail after
 * the retries go to an SQS queue, and an alarm fires as soon as one is there.
 */
export class LatchkeyEvents extends Construct {
  readonly bus: EventBus
  readonly handler: LatchkeyFunction
  readonly failures: Queue
  readonly alarm: Alarm

  constructor(scope: Construct, id: string, props: LatchkeyEventsProps) {
    super(scope, id)
    this.bus = new EventBus(this, 'Bus', { eventBusName: `latchkey-${props.stage}` })
    this.failures = new Queue(this, 'StreamFailures', {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    })
    this.handler = new LatchkeyFunction(this, 'StreamHandler', {
      handler: streamHandler,
      environment: { EVENT_BUS_NAME: this.bus.eventBusName, TABLE_NAME: props.table.tableName },
      tracing: props.tracing,
    })
    this.handler.addToRolePolicy(
      new PolicyStatement({ actions: ['events:PutEvents'], resources: [this.bus.eventBusArn] }),
    )
    // The deletes a delete-all leaves to the stream (shared/domain/sweeps.ts), and no more.
    // On the table's ARN only: table.grant would add its index too (index/*). The audit
    // trail: each batch's records and their id guards, in one transaction of puts.
    this.handler.allowTableActions(props.table, [...SWEEP_ACTIONS, 'PutItem'])
    this.handler.addEventSource(
      new DynamoEventSource(props.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: 10,
        maxRecordAge: Duration.days(1),
        parallelizationFactor: 1, // per-key order is kept: one batch per shard at a time
        onFailure: new SqsDlq(this.failures),
      }),
    )
    this.alarm = new Alarm(this, 'StreamFailuresAlarm', {
      alarmDescription: 'Change-stream records could not be published as events: see the queue.',
      metric: this.failures.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    })
  }
}
