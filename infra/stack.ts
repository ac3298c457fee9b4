import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib'
import type { Construct } from 'constructs'
import { LatchkeyApi } from './constructs/api.js'
import { LatchkeyTable } from './constructs/table.js'

export interface LatchkeyStackProps extends StackProps {
  stage: string
}

/** Latchkey on AWS: the table, and the API generated from the route table. */
export class LatchkeyStack extends Stack {
  readonly api: LatchkeyApi
  readonly table: LatchkeyTable

  constructor(scope: Construct, id: string, props: LatchkeyStackProps) {
    super(scope, id, props)
    this.table = new LatchkeyTable(this, 'Data')
    this.api = new LatchkeyApi(this, 'Api', {
      table: this.table.table,
      throttle: { rateLimit: 200, burstLimit: 400 },
    })
    new CfnOutput(this, 'ApiUrl', { value: this.api.api.apiEndpoint })
    new CfnOutput(this, 'TableName', { value: this.table.table.tableName })
  }
}
