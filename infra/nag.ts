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
