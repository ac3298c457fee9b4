import { Duration } from 'aws-cdk-lib'
import {
  HttpLambdaAuthorizer,
  HttpLambdaResponseType,
} from 'aws-cdk-lib/aws-apigatewayv2-authorizers'
import type { ITable } from 'aws-cdk-lib/aws-dynamodb'
import { Construct } from 'constructs'
import { LatchkeyFunction } from './constructs/function.js'

/**
 * `latchkey/cdk` (package.json `exports`): put Latchkey's tokens in front of your own
 * API Gateway HTTP API. Import it into your CDK app, point it at Latchkey's table and
 * give your routes its `authorizer`:
 *
 *   const latchkey = new LatchkeyAuthorizer(this, 'Auth', {
 *     table: Table.fromTableName(this, 'Tokens', 'latchkey-table-name'),
 *     jwtKeyArn: '<Latchkey service-token key ARN>',
 *     team: 'acme',
 *     routeScopes: { 'GET /orders': ['orders:read'] },
 *   })
 *   api.addRoutes({ path: '/orders', methods: [HttpMethod.GET], integration, authorizer: latchkey.authorizer })
 */
export interface LatchkeyAuthorizerProps {
  /** Latchkey's table (the stack's `TableName` output). */
  table: ITable
  /**
   * Latchkey's service-token key ARN: tells the verifier to read the public keys the
   * service publishes to the table. No KMS permission is granted.
   */
  jwtKeyArn: string
  /** The team whose tokens pass. */
  team: string
  /** Scopes each route needs, by route key (`GET /orders`); routes not named need none. */
  routeScopes?: Record<string, readonly string[]>
  /**
   * API Gateway's result cache (and the in-container cache of positive answers): how long
   * a revoked token may still pass. Default 60 s; `Duration.seconds(0)` for none.
   */
  resultsCacheTtl?: Duration
  /**
   * Also accept the token in this query parameter (Server Density style). API Gateway
   * calls an authorizer only when every identity source is present, so the token can't
   * be one then, and without it the cache could not tell tokens apart: this needs
   * `resultsCacheTtl` 0 (the in-container cache is off too).
   */
  queryParameter?: string
}

export class LatchkeyAuthorizer extends Construct {
  readonly authorizer: HttpLambdaAuthorizer
  readonly function: LatchkeyFunction

  constructor(scope: Construct, id: string, props: LatchkeyAuthorizerProps) {
    super(scope, id)
    const ttl = props.resultsCacheTtl ?? Duration.seconds(props.queryParameter ? 0 : 60)
    if (props.queryParameter && ttl.toSeconds() > 0)
      throw new Error('LatchkeyAuthorizer: queryParameter needs resultsCacheTtl 0 (see its doc)')
    this.function = new LatchkeyFunction(this, 'Function', {
      handler: 'authorizer',
      entry: 'authorizer/handler.ts',
      environment: {
        TABLE_NAME: props.table.tableName,
        JWT_KMS_KEY_ID: props.jwtKeyArn,
        LATCHKEY_TEAM: props.team,
        LATCHKEY_ROUTE_SCOPES: JSON.stringify(props.routeScopes ?? {}),
        LATCHKEY_CACHE_TTL_SECONDS: String(ttl.toSeconds()),
        ...(props.queryParameter && { LATCHKEY_TOKEN_QUERY: props.queryParameter }),
      },
    })
    // Least privilege: the token lookup (a personal token with its revocation mark), and
    // its lastUsed and rate-limit writes.
    this.function.allowTableActions(props.table, ['BatchGetItem', 'GetItem', 'UpdateItem'])
    // The cache must be per token and per route: a token may hold one route's scope only.
    const identitySource = props.queryParameter
      ? []
      : ['$request.header.Authorization', '$context.routeKey']
    this.authorizer = new HttpLambdaAuthorizer(`${id}Authorizer`, this.function, {
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource,
      resultsCacheTtl: ttl,
    })
  }
}
