import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib'
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2'
import type { Construct } from 'constructs'
import { LatchkeyConsole } from './constructs/console.js'

export interface LatchkeyConsoleStackProps extends StackProps {
  api: IHttpApi
}

/**
 * The web console's own stack: a bucket, its deployment and the CloudFront
 * distribution in front of it and the API. Apart from the service's stack so the
 * service's functions' least-privilege rules stay whole (the deployment's helper
 * function is CDK's own) and so a team can run the service without a console.
 */
export class LatchkeyConsoleStack extends Stack {
  readonly console: LatchkeyConsole

  constructor(scope: Construct, id: string, props: LatchkeyConsoleStackProps) {
    super(scope, id, props)
    this.console = new LatchkeyConsole(this, 'Console', { api: props.api })
    new CfnOutput(this, 'ConsoleUrl', {
      value: `https://${this.console.distribution.distributionDomainName}`,
    })
  }
}
