import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib'
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway'
import {
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2'
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations'
import { Table } from 'aws-cdk-lib/aws-dynamodb'
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs'
import type { Construct } from 'constructs'
import { LatchkeyAuthorizer } from '../authorizer.js'
import { LatchkeyFunction } from '../constructs/function.js'

export interface ProtectedApiStackProps extends StackProps {
  /** Latchkey's deployed table and service-token key (its stack's outputs). */
  latchkeyTableName: string
  latchkeyJwtKeyArn: string
  team: string
}

/**
 * An example of your own API behind Latchkey: one HTTP API, one Lambda route
 * (`GET /orders`, scope `orders:read`), the authorizer in front. Synthesised in the
 * unit tests, cdk-nag included; deploy it with `npx cdk deploy -a "npx tsx infra/example/app.ts"`.
 */
export class ProtectedApiStack extends Stack {
  constructor(scope: Construct, id: string, props: ProtectedApiStackProps) {
    super(scope, id, props)
    const latchkey = new LatchkeyAuthorizer(this, 'Latchkey', {
      table: Table.fromTableName(this, 'LatchkeyTable', props.latchkeyTableName),
      jwtKeyArn: props.latchkeyJwtKeyArn,
      team: props.team,
      routeScopes: { 'GET /orders': ['orders:read'] },
    })
    const orders = new LatchkeyFunction(this, 'Orders', {
      handler: 'orders',
      entry: 'authorizer/example-orders.ts',
      environment: {},
    })
    const api = new HttpApi(this, 'Api', { createDefaultStage: false })
    api.addRoutes({
      path: '/orders',
      methods: [HttpMethod.GET],
      integration: new HttpLambdaIntegration('OrdersIntegration', orders),
      authorizer: latchkey.authorizer,
    })
    const logs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_MONTH })
    new HttpStage(this, 'Stage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 100, burstLimit: 200 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(logs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            routeKey: '$context.routeKey',
            status: '$context.status',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    })
    new CfnOutput(this, 'ApiUrl', { value: api.apiEndpoint })
  }
}
