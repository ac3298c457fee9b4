import { App, Duration, Stack } from 'aws-cdk-lib'
import { Match, Template } from 'aws-cdk-lib/assertions'
import { Table } from 'aws-cdk-lib/aws-dynamodb'
import { describe, expect, it } from 'vitest'
import { LatchkeyAuthorizer } from '../../infra/authorizer.js'
import { buildExampleApp } from '../../infra/example/app.js'

const noBundling = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } })

describe('the authorizer construct and the example stack', () => {
  it('synthesises the example stack with cdk-nag finding nothing', () => {
    const { app } = buildExampleApp(noBundling())
    expect(() => app.synth()).not.toThrow()
  }, 60_000)

  it('makes a payload 2.0 simple-response authorizer, cached 60 s per token and route', () => {
    const { stack } = buildExampleApp(noBundling())
    const template = Template.fromStack(stack)
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      AuthorizerResultTtlInSeconds: 60,
      IdentitySource: ['$request.header.Authorization', '$context.routeKey'],
    })
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'GET /orders',
      AuthorizationType: 'CUSTOM',
    })
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          LATCHKEY_TEAM: 'main',
          LATCHKEY_ROUTE_SCOPES: '{"GET /orders":["orders:read"]}',
          LATCHKEY_CACHE_TTL_SECONDS: '60',
        }),
      },
    })
  }, 60_000)

  it('lets the authorizer only BatchGetItem, GetItem and UpdateItem on the table, with no KMS use', () => {
    const stack = new Stack(noBundling(), 'Least')
    const table = Table.fromTableName(stack, 'T', 'latchkey-table')
    const authorizer = new LatchkeyAuthorizer(stack, 'Auth', {
      table,
      jwtKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/k',
      team: 'acme',
      resultsCacheTtl: Duration.seconds(0),
    })
    const template = Template.fromStack(stack)
    const roleId = stack.getLogicalId(authorizer.function.role?.node.defaultChild as never)
    const policies = Object.values(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: roleId }] },
      }),
    )
    const actions = policies.flatMap((policy) =>
      policy.Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) =>
        [s.Action].flat(),
      ),
    )
    expect(actions.sort()).toEqual([
      'dynamodb:BatchGetItem', // a personal token with its revocation mark
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ])
  }, 60_000)

  it('refuses a query-parameter token with a result cache, which could not tell tokens apart', () => {
    const stack = new Stack(noBundling(), 'Query')
    expect(
      () =>
        new LatchkeyAuthorizer(stack, 'Auth', {
          table: Table.fromTableName(stack, 'T', 'latchkey-table'),
          jwtKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/k',
          team: 'acme',
          queryParameter: 'token',
          resultsCacheTtl: Duration.seconds(60),
        }),
    ).toThrow(/resultsCacheTtl 0/)
  })
})
