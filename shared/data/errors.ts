import { THROTTLING_ERRORS } from '../aws/error-names.js'

/**
 * Classifies AWS SDK failures by name, so callers need not import SDK error classes
 * (which would also pull them into every bundle).
 */
// As the transports retry them (the SDK's standard strategy; shared/aws/lean-json.ts):
// whatever they gave up retrying is an outage to the client, never an unknown error.
const UNAVAILABLE = new Set([
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TransactionInProgressException',
  // The lean transport's answer still corrupt after its retries (shared/aws/lean-dynamodb.ts).
  'CRC32CheckFailed',
])
const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
])

const nameOf = (error: unknown) => (error instanceof Error ? error.name : '')

export const isConditionFailed = (error: unknown) =>
  nameOf(error) === 'ConditionalCheckFailedException'

/** DynamoDB or the network to it is overloaded or down: the caller may retry later. */
export function isTransient(error: unknown): boolean {
  const name = nameOf(error)
  if (THROTTLING_ERRORS.has(name) || UNAVAILABLE.has(name)) return true
  const { code, $metadata } = (error ?? {}) as {
    code?: unknown
    $metadata?: { httpStatusCode?: unknown }
  }
  if (typeof code === 'string' && NETWORK.has(code)) return true
  // Any 5xx or 429 from DynamoDB (DynamoDB Local's lock timeouts are 500s, whatever
  // their name): the service failed, not the request.
  const status = $metadata?.httpStatusCode
  return typeof status === 'number' && (status >= 500 || status === 429)
}

export type CancellationReason = 'ConditionalCheckFailed' | 'TransactionConflict' | string

/** The per-action reasons of a cancelled transaction, or undefined for other errors. */
export function cancellationReasons(error: unknown): CancellationReason[] | undefined {
  if (nameOf(error) !== 'TransactionCanceledException') return undefined
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons
  return (reasons ?? []).map((reason) => reason.Code ?? 'None')
}

/** An own property of an object, or undefined: reads an error's fields without a cast. */
const field = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null
    ? Object.getOwnPropertyDescriptor(value, key)?.value
    : undefined

/**
 * An attribute of the item a refused condition saw (ReturnValuesOnConditionCheckFailure:
 * ALL_OLD). Errors are not unmarshalled by the document client, so it comes as `{ S }`
 * or `{ N }`; a plain value (an unmarshalled item) is taken as it is.
 */
const refusedAttribute = (error: unknown, name: string): unknown =>
  field(field(error, 'Item'), name)

/** A text attribute of the item a refused condition saw. */
export function refusedText(error: unknown, name: string): string | undefined {
  const value = refusedAttribute(error, name)
  const raw = typeof value === 'string' ? value : field(value, 'S')
  return typeof raw === 'string' ? raw : undefined
}

/** A number attribute of the item a refused condition saw. */
export function refusedNumber(error: unknown, name: string): number | undefined {
  const value = refusedAttribute(error, name)
  const raw = typeof value === 'number' ? value : Number(field(value, 'N') ?? Number.NaN)
  return Number.isFinite(raw) ? raw : undefined
}
