/**
 * Classifies AWS SDK failures by name, so callers need not import SDK error classes
 * (which would also pull them into every bundle).
 */
const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
])
const UNAVAILABLE = new Set([
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  // The lean transport's answer still corrupt after its retries (shared/aws/lean-dynamodb.ts).
  'CRC32CheckFailed',
])
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'])

const nameOf = (error: unknown) => (error instanceof Error ? error.name : '')

export const isConditionFailed = (error: unknown) =>
  nameOf(error) === 'ConditionalCheckFailedException'

/** DynamoDB or the network to it is overloaded or down: the caller may retry later. */
export function isTransient(error: unknown): boolean {
  const name = nameOf(error)
  if (THROTTLING.has(name) || UNAVAILABLE.has(name)) return true
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && NETWORK.has(code)
}

export type CancellationReason = 'ConditionalCheckFailed' | 'TransactionConflict' | string

/** The per-action reasons of a cancelled transaction, or undefined for other errors. */
export function cancellationReasons(error: unknown): CancellationReason[] | undefined {
  if (nameOf(error) !== 'TransactionCanceledException') return undefined
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons
  return (reasons ?? []).map((reason) => reason.Code ?? 'None')
}
