/**
 * The error names AWS services throttle under (the SDK's standard retry strategy's
 * list): one list for the transports, which retry them, and for the data layer, which
 * answers what they gave up retrying as an outage (503), never an unknown error.
 */
export const THROTTLING_ERRORS: ReadonlySet<string> = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'LimitExceededException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'ThrottledException',
])
