import { type Stack, Validations } from 'aws-cdk-lib'

/**
 * cdk-nag findings we accept, each with its reason. Everything else is fixed in the
 * constructs rather than acknowledged.
 */
export function acknowledgeFindings(stack: Stack): void {
  Validations.of(stack).acknowledge({
    id: 'AwsSolutions::AwsSolutions-APIG4',
    reason:
      'Authentication is the middy middleware of each function, by design: it accepts three ' +
      'credential kinds (personal tokens also in ?token=, service JWTs, enrollment tokens) and ' +
      'must answer the contract JSON 401, which an API Gateway authorizer cannot.',
  })
  Validations.of(stack).acknowledge({
    id: 'AwsSolutions::AwsSolutions-SQS3',
    reason:
      "The queue is itself the dead-letter destination (the change-stream event source's " +
      'on-failure target), watched by an alarm; a DLQ for it would only move the problem.',
  })
}

/** The console stack's accepted findings, each with its reason. */
export function acknowledgeConsoleFindings(stack: Stack): void {
  const accept = (id: string, reason: string) =>
    Validations.of(stack).acknowledge({ id: `AwsSolutions::AwsSolutions-${id}`, reason })
  accept(
    'S1',
    "The log bucket itself: it receives the site bucket's access logs and CloudFront's, " +
      'and logging it to itself would loop.',
  )
  accept(
    'CFR1',
    'A token console for a team has no country to block by default; add a geo restriction ' +
      'to the distribution where a team needs one.',
  )
  accept(
    'CFR2',
    'A CloudFront WAF web ACL must live in us-east-1 and costs per month; the API behind it ' +
      'throttles at its stage and locks out password guessing itself. Attach a web ACL ' +
      'where the threat model calls for one.',
  )
  accept(
    'CFR4',
    'The default *.cloudfront.net certificate cannot set a minimum TLS version; with a ' +
      'custom domain and ACM certificate, set TLSv1.2_2021.',
  )
  // CDK's own deployment helper (a singleton function per stack), acknowledged on it alone.
  const helper = stack.node.children.find((child) =>
    child.node.id.startsWith('Custom::CDKBucketDeployment'),
  )
  if (!helper) throw new Error('the console stack has no BucketDeployment helper')
  const forHelper = (id: string, reason: string) =>
    Validations.of(helper).acknowledge({ id: `AwsSolutions::AwsSolutions-${id}`, reason })
  forHelper(
    'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    "CDK's BucketDeployment helper function logs with the AWS managed basic execution " +
      'role; it runs only while deploying.',
  )
  const copying =
    "CDK's BucketDeployment helper copies the built console from the CDK asset bucket to the " +
    'site bucket and invalidates the page in CloudFront; these are the grants aws-cdk-lib ' +
    'gives it for that, on those buckets (and CloudFront invalidations, which have no ARN ' +
    'scope before the distribution exists).'
  for (const finding of [
    'Action::s3:Abort*',
    'Action::s3:DeleteObject*',
    'Action::s3:GetBucket*',
    'Action::s3:GetObject*',
    'Action::s3:List*',
    'Resource::*',
    'Resource::<ConsoleSite26539DB4.Arn>/*',
    'Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*',
  ])
    forHelper(`IAM5[${finding}]`, copying)
  forHelper('L1', "The BucketDeployment helper's runtime is chosen by aws-cdk-lib, not by us.")
  Validations.of(stack).acknowledge({
    id: 'Annotation::@aws-cdk/core:crossStackReferencesDefaultStrong',
    reason:
      "Strong: the API's endpoint is exported to the console stack, so the API cannot be " +
      'removed while the console still sends requests to it.',
  })
}
