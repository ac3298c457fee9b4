import { Duration } from 'aws-cdk-lib'
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb'
import { Rule, Schedule } from 'aws-cdk-lib/aws-events'
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets'
import { Construct } from 'constructs'
import { sweeperTableActions } from '../../shared/routes.js'
import { LatchkeyFunction } from './function.js'

export interface LatchkeySweeperProps {
  table: ITableV2
  /** How often the sweeper runs (default 15 minutes). */
  every?: Duration
  tracing?: boolean
}

/** The sweeper's module under functions/ (not an HTTP route). */
export const sweeperHandler = 'sweeper/run'

/**
 * The lifecycle sweeper on a schedule: expiry warnings, expiries and inactivity
 * revocations (shared/domain/sweeper.ts). Its events come from the change stream
 * like every other, so it needs no bus; one run at a time is enough, and a second
 * would only find the first's writes already made.
 */
export class LatchkeySweeper extends Construct {
  readonly handler: LatchkeyFunction
  readonly rule: Rule

  constructor(scope: Construct, id: string, props: LatchkeySweeperProps) {
    super(scope, id)
    this.handler = new LatchkeyFunction(this, 'Sweeper', {
      handler: sweeperHandler,
      environment: { TABLE_NAME: props.table.tableName },
      tracing: props.tracing,
    })
    this.handler.allowTableActions(props.table, sweeperTableActions)
    this.rule = new Rule(this, 'Schedule', {
      description: 'Runs the Latchkey token lifecycle sweeper',
      schedule: Schedule.rate(props.every ?? Duration.minutes(15)),
      targets: [new LambdaFunction(this.handler, { retryAttempts: 0 })],
    })
  }
}
