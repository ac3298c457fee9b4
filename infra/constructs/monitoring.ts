import { Duration } from 'aws-cdk-lib'
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2'
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch'
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions'
import { Operation, type TableV2 } from 'aws-cdk-lib/aws-dynamodb'
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam'
import { Key } from 'aws-cdk-lib/aws-kms'
import type { IFunction } from 'aws-cdk-lib/aws-lambda'
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns'
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions'
import type { Queue } from 'aws-cdk-lib/aws-sqs'
import { Construct } from 'constructs'

/** The namespace and dimension of the functions' EMF metrics (shared/metrics.ts). */
export const METRICS_NAMESPACE = 'Latchkey'
export const SERVICE = 'latchkey'

export interface LatchkeyMonitoringProps {
  stage: string
  api: HttpApi
  streamFunction: IFunction
  table: TableV2
  deadLetters: Queue
  /** Alarms that already exist (the dead-letter alarm) and should notify too. */
  existingAlarms: Alarm[]
  /** Notify this address (context `alarmEmail`): creates an encrypted SNS topic. */
  alarmEmail?: string
  /** Or notify this topic (context `alarmTopicArn`). */
  alarmTopicArn?: string
  /** Authentication failures in 5 minutes that count as a spike (context, default 100). */
  authFailureThreshold?: number
}

const FIVE_MINUTES = Duration.minutes(5)

/** One of the functions' EMF metrics, summed over all its other dimensions' values. */
const appMetric = (name: string, statistic = 'Sum', period = FIVE_MINUTES) =>
  new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: SERVICE },
    statistic,
    period,
  })

/**
 * What an operator watches: a dashboard (traffic, errors, latency, authentication,
 * events, the stream, the table) and one alarm per failure that needs a person, each
 * with a runbook entry in the README ("Operating Latchkey"). With `alarmEmail` or
 * `alarmTopicArn`, every alarm notifies an SNS topic when it fires and when it clears.
 */
export class LatchkeyMonitoring extends Construct {
  readonly alarms: Alarm[] = []
  readonly dashboard: Dashboard
  readonly topic?: ITopic

  constructor(scope: Construct, id: string, props: LatchkeyMonitoringProps) {
    super(scope, id)
    const requests = props.api.metricCount({ period: FIVE_MINUTES, statistic: 'Sum' })
    const serverErrors = props.api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' })
    const errorRate = new MathExpression({
      label: '5xx %',
      // Quiet periods make a rate meaningless: no alarm under 20 requests in 5 minutes.
      expression: 'IF(requests >= 20, 100 * errors / requests, 0)',
      usingMetrics: { requests, errors: serverErrors },
      period: FIVE_MINUTES,
    })
    const lambdaSum = (metricName: string) =>
      new MathExpression({
        label: `${metricName}, all functions`,
        // Metric math allows 10 metrics per expression in an alarm: sum by search is
        // for graphs only, so the alarm reads Lambda's account-level figure instead.
        expression: `SEARCH('{AWS/Lambda,FunctionName} MetricName="${metricName}" FunctionName="Latchkey-${props.stage}-"', 'Sum', 300)`,
        period: FIVE_MINUTES,
      })
    const accountThrottles = new Metric({
      namespace: 'AWS/Lambda',
      metricName: 'Throttles',
      statistic: 'Sum',
      period: FIVE_MINUTES,
    })
    const tableThrottles = props.table.metricThrottledRequestsForOperations({
      operations: [
        Operation.GET_ITEM,
        Operation.PUT_ITEM,
        Operation.UPDATE_ITEM,
        Operation.DELETE_ITEM,
        Operation.QUERY,
        Operation.BATCH_WRITE_ITEM,
        Operation.TRANSACT_WRITE_ITEMS,
      ],
      period: FIVE_MINUTES,
    })
    const iteratorAge = props.streamFunction.metric('IteratorAge', {
      statistic: 'Maximum',
      period: Duration.minutes(1),
    })
    const streamErrors = props.streamFunction.metricErrors({ period: FIVE_MINUTES })
    const authFailures = appMetric('AuthFailures')

    const alarm = (
      name: string,
      description: string,
      metric: IMetric,
      threshold: number,
      evaluationPeriods = 1,
    ) => {
      const created = new Alarm(this, name, {
        alarmDescription: `${description} Runbook: README, Operating Latchkey, "${name}".`,
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      })
      this.alarms.push(created)
      return created
    }
    alarm(
      'ServerErrorRate',
      'More than 1% of API requests answered 5xx over 5 minutes.',
      errorRate,
      1,
    )
    alarm(
      'FunctionThrottles',
      'Lambda throttled invocations in this account and region (concurrency exhausted).',
      accountThrottles,
      1,
    )
    alarm(
      'TableThrottles',
      'DynamoDB throttled requests on the table (clients got 503 service_offline).',
      tableThrottles,
      1,
    )
    alarm(
      'StreamConsumerErrors',
      'The change-stream function failed invocations (events are delayed and retried).',
      streamErrors,
      1,
    )
    alarm(
      'StreamIteratorAge',
      'Events are more than a minute behind the table, for 3 minutes in a row.',
      iteratorAge,
      60_000,
      3,
    )
    alarm(
      'AuthFailureSpike',
      'Authentication failures spiked: credential stuffing, a leaked or revoked token in a script, or a broken client.',
      authFailures,
      props.authFailureThreshold ?? 100,
    )

    if (props.alarmEmail || props.alarmTopicArn) {
      this.topic = props.alarmTopicArn
        ? Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn)
        : this.encryptedTopic(props.stage, props.alarmEmail ?? '')
      const action = new SnsAction(this.topic)
      for (const each of [...this.alarms, ...props.existingAlarms]) {
        each.addAlarmAction(action)
        each.addOkAction(action)
      }
    }

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `Latchkey-${props.stage}`,
      defaultInterval: Duration.hours(3),
    })
    const graph = (title: string, left: IMetric[], width = 8) =>
      new GraphWidget({ title, left, width, height: 6 })
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# Latchkey ${props.stage}\nAlarms and runbook: README, "Operating Latchkey".`,
        width: 8,
        height: 3,
      }),
      new AlarmStatusWidget({
        title: 'Alarms',
        alarms: [...this.alarms, ...props.existingAlarms],
        width: 16,
        height: 3,
      }),
    )
    this.dashboard.addWidgets(
      graph('API requests, 4xx, 5xx', [
        requests,
        props.api.metricClientError({ period: FIVE_MINUTES, statistic: 'Sum' }),
        serverErrors,
      ]),
      graph('API latency p50 / p99 (ms)', [
        props.api.metricLatency({ period: FIVE_MINUTES, statistic: 'p50' }),
        props.api.metricLatency({ period: FIVE_MINUTES, statistic: 'p99' }),
      ]),
      graph('Requests by status class (EMF)', [
        ...['2xx', '4xx', '5xx'].map(
          (statusClass) =>
            new Metric({
              namespace: METRICS_NAMESPACE,
              metricName: 'Requests',
              dimensionsMap: { service: SERVICE, status_class: statusClass },
              statistic: 'Sum',
              period: FIVE_MINUTES,
              label: statusClass,
            }),
        ),
      ]),
    )
    this.dashboard.addWidgets(
      graph('Authentication failures, rate limited, verify outcomes', [
        authFailures,
        appMetric('RateLimited'),
        appMetric('VerifyOutcomes'),
      ]),
      graph('Enrollments', [appMetric('Enrollments')]),
      graph('Lambda errors, throttles (Latchkey functions)', [
        lambdaSum('Errors'),
        lambdaSum('Throttles'),
      ]),
    )
    this.dashboard.addWidgets(
      graph('Events published, failed', [appMetric('EventsPublished'), appMetric('EventsFailed')]),
      graph('Stream iterator age (ms)', [iteratorAge, appMetric('StreamIteratorAge', 'Maximum')]),
      graph('Dead-letter queue depth', [
        props.deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
      ]),
    )
    this.dashboard.addWidgets(
      graph('Table throttles, consumed capacity', [
        tableThrottles,
        props.table.metricConsumedReadCapacityUnits({ period: FIVE_MINUTES }),
        props.table.metricConsumedWriteCapacityUnits({ period: FIVE_MINUTES }),
      ]),
      graph('Function duration p99 (ms), slowest', [
        new MathExpression({
          label: 'p99',
          expression: `SEARCH('{AWS/Lambda,FunctionName} MetricName="Duration" FunctionName="Latchkey-${props.stage}-"', 'p99', 300)`,
          period: FIVE_MINUTES,
        }),
      ]),
      graph('Concurrent executions (account)', [
        new Metric({
          namespace: 'AWS/Lambda',
          metricName: 'ConcurrentExecutions',
          statistic: 'Maximum',
          period: FIVE_MINUTES,
        }),
      ]),
    )
  }

  /** A topic CloudWatch may publish to, encrypted with a key of its own (SNS2, SNS3). */
  private encryptedTopic(stage: string, email: string): Topic {
    const key = new Key(this, 'AlarmTopicKey', {
      description: `Latchkey ${stage}: encrypts the alarm topic`,
      enableKeyRotation: true,
    })
    key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    )
    const topic = new Topic(this, 'AlarmTopic', {
      displayName: `Latchkey ${stage} alarms`,
      masterKey: key,
      enforceSSL: true,
    })
    if (email) topic.addSubscription(new EmailSubscription(email))
    return topic
  }
}
