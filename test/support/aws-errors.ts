/** Errors as the SDK raises them (a name and `$metadata`), for mocked DynamoDB calls. */
export const awsError = (name: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(name), { name, $metadata: {}, ...extra })

/** A transaction cancelled with one reason code per item, in the items' order. */
export const cancelled = (...codes: string[]) =>
  awsError('TransactionCanceledException', {
    CancellationReasons: codes.map((Code) => ({ Code })),
  })
