/**
 * The one place the tests build AWS SDK errors for mocked calls: a name and
 * `$metadata`, as the SDK raises them, plus the fields the data layer reads.
 */
export const awsError = (name: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(name), { name, $metadata: {}, ...extra })

/**
 * A refused conditional write; with `item`, the item as it was, which DynamoDB returns
 * for `ReturnValuesOnConditionCheckFailure: 'ALL_OLD'` (marshalled: the document client
 * leaves it so).
 */
export const conditionFailed = (item?: Record<string, unknown>) =>
  awsError('ConditionalCheckFailedException', item && { Item: item })

/** A transaction cancelled with one reason code per item, in the items' order. */
export const cancelled = (...codes: string[]) =>
  awsError('TransactionCanceledException', {
    CancellationReasons: codes.map((Code) => ({ Code })),
  })

/** DynamoDB's request throttle (the transports retry it; the data layer answers it 503). */
export const throttled = () => awsError('ThrottlingException')
