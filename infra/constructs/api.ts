import { Duration } from 'aws-cdk-lib'
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway'
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2'
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations'
import type { ITable } from 'aws-cdk-lib/aws-dynamodb'
import type { IKey } from 'aws-cdk-lib/aws-kms'
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs'
import { Construct } from 'constructs'
import {
  fallbackHandler,
  keyUsesOf,
  type RouteSpec,
  routeList,
  tableActionsOf,
} from '../../shared/routes.js'
import { LatchkeyFunction } from './function.js'

export interface LatchkeyApiProps {
  table: ITable
  /** The service-token signing key (asymmetric, ECC P-256). */
  jwtKey: IKey
  /** The enrollment-token sealing key (symmetric). */
  sealKey: IKey
  throttle: { rateLimit: number; burstLimit: number }
  /** Browser origins allowed to call the API (CORS); none unless configured. */
  corsOrigins?: string[]
  /** X-Ray active tracing on every function. */
  tracing?: boolean
}

const functionId = (handler: string) =>
  handler
    .split(/[/-]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('')

/**
 * The HTTP API, generated from the route table: one function and one route per row,
 * and a `$default` route to the fallback function so unknown routes get the
 * contract's 404/405 body instead of API Gateway's own. A row cannot exist
 * without its infrastructure, because this loop is the only way routes are made.
 */
export class LatchkeyApi extends Construct {
  readonly api: HttpApi
  readonly stage: HttpStage
  readonly functions = new Map<string, LatchkeyFunction>()

  constructor(scope: Construct, id: string, props: LatchkeyApiProps) {
    super(scope, id)
    const environment = {
      TABLE_NAME: props.table.tableName,
      JWT_KMS_KEY_ID: props.jwtKey.keyArn,
      SEAL_KMS_KEY_ID: props.sealKey.keyArn,
    }
    const fallback = new LatchkeyFunction(this, 'Fallback', {
      handler: fallbackHandler,
      environment,
      tracing: props.tracing,
    })
    this.functions.set(fallbackHandler, fallback)

    this.api = new HttpApi(this, 'HttpApi', {
      createDefaultStage: false,
      ...(props.corsOrigins?.length && {
        corsPreflight: {
          allowOrigins: props.corsOrigins,
          allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.DELETE],
          allowHeaders: ['authorization', 'content-type'],
          exposeHeaders: ['link', 'x-request-id', 'retry-after'],
          maxAge: Duration.hours(1),
        },
      }),
      defaultIntegration: new HttpLambdaIntegration('FallbackIntegration', fallback),
    })
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_MONTH })
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        // Never the query string: Server Density clients send tokens in it.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            time: '$context.requestTime',
            method: '$context.httpMethod',
            routeKey: '$context.routeKey',
            path: '$context.path',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    })

    for (const route of routeList) this.addRoute(route, props, environment)
  }

  private addRoute(
    route: RouteSpec & { id: string },
    props: LatchkeyApiProps,
    environment: Record<string, string>,
  ) {
    const fn = new LatchkeyFunction(this, functionId(route.handler), {
      handler: route.handler,
      environment,
      tracing: props.tracing,
    })
    fn.allowTableActions(props.table, tableActionsOf(route))
    fn.allowKeyUses(props.jwtKey, keyUsesOf(route))
    fn.allowSealUses(props.sealKey, route.seal ?? [])
    this.functions.set(route.handler, fn)
    const integration = new HttpLambdaIntegration(`${functionId(route.id)}Integration`, fn)
    new HttpRoute(this, `Route${functionId(route.id)}`, {
      httpApi: this.api,
      routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
      integration,
    })
    // HTTP APIs route HEAD only where it is declared: every GET declares it, to the same
    // function, which answers without a body (shared/http/middleware/head.ts).
    if (route.method === 'GET')
      new HttpRoute(this, `Route${functionId(route.id)}Head`, {
        httpApi: this.api,
        routeKey: HttpRouteKey.with(route.path, HttpMethod.HEAD),
        integration,
      })
  }
}
