/**
 * The one error taxonomy: what went wrong, as the machine code the contract names, a
 * sentence for people, the fields at fault, and when a retry may succeed. The domain,
 * the data layer, authentication and the CLI raise and read these; they carry no
 * status code and no header. Only `shared/http/errors.ts` turns them into HTTP, and
 * the CLI into exit codes.
 */
export type ErrorCode =
  | 'invalid_request'
  | 'authentication_error'
  | 'server_authorization_revoked'
  | 'forbidden_error'
  | 'mfa_required'
  | 'quota_exceeded'
  | 'resource_does_not_exist'
  | 'method_not_allowed'
  | 'resource_already_exists'
  | 'payload_too_large'
  | 'unsupported_content_type'
  | 'too_many_requests'
  | 'unknown_error'
  | 'service_offline'

export interface FieldError {
  message: string
  /** The field or parameter at fault, e.g. `name` or `tokenId`. */
  description: string
}

export interface ErrorDetails {
  /** When to try again (locked out, rate limited, an outage), in seconds from now. */
  retryAfterSeconds?: number
  /** A 429's same moment as unix seconds, rounded up (what ASA's oktapam provider reads). */
  retryAt?: number
  /** The methods a path does take (a method not allowed). */
  allowed?: readonly string[]
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly errors?: FieldError[],
    readonly details: ErrorDetails = {},
  ) {
    super(message)
    this.name = 'DomainError'
  }
}

/** One message for every credential failure, so the answer is no oracle. */
export const AUTHENTICATION_MESSAGE = 'The credentials are missing, invalid, expired or revoked.'

export const invalidRequest = (message: string, errors?: FieldError[]) =>
  new DomainError('invalid_request', message, errors)

export const unauthenticated = () => new DomainError('authentication_error', AUTHENTICATION_MESSAGE)

export const forbidden = (message: string) => new DomainError('forbidden_error', message)

export const quotaExceeded = (message: string) => new DomainError('quota_exceeded', message)

export const notFound = (what: string) =>
  new DomainError('resource_does_not_exist', `${what} does not exist.`)

export const alreadyExists = (message: string) =>
  new DomainError('resource_already_exists', message)

/** The least a 429 asks a client to wait. */
const MIN_RETRY_MS = 1000

/**
 * When a refused request may be tried again, in both forms clients read: seconds to
 * wait (Retry-After) and the moment itself (X-RateLimit-Retry-At, unix seconds, which
 * okta/terraform-provider-oktapam waits for). `until` is when the refusal ends (epoch
 * ms) and `now` the same clock's present. Never less than a second away: resty, under
 * that provider, waits its 24-hour maximum for a moment it finds already past, so a
 * client clock a little ahead of ours must still see the moment in the future.
 */
export function retryWindow(until: number, now: number) {
  const at = Math.max(until, now + MIN_RETRY_MS)
  return { retryAfterSeconds: Math.ceil((at - now) / 1000), retryAt: Math.ceil(at / 1000) }
}

/** 429 until `until` (epoch ms), `now` read from the clock that set it. */
export const tooManyRequests = (message: string, until: number, now: number) =>
  new DomainError('too_many_requests', message, undefined, retryWindow(until, now))

export const methodNotAllowed = (method: string, allowed: readonly string[]) =>
  new DomainError('method_not_allowed', `Method ${method} is not allowed here.`, undefined, {
    allowed,
  })

export const payloadTooLarge = (limit: number) =>
  new DomainError('payload_too_large', `The request body is larger than ${limit} bytes.`)

export const unsupportedContentType = (type: string, accepted: readonly string[]) =>
  new DomainError(
    'unsupported_content_type',
    `Content-Type ${type || '(none)'} is not supported; send ${accepted.join(' or ')}.`,
  )

/** The store (or the network to it) is overloaded or down: nothing was decided. */
export const serviceOffline = (retryAfterSeconds = 1) =>
  new DomainError(
    'service_offline',
    'The service is busy or briefly unavailable; retry shortly.',
    undefined,
    { retryAfterSeconds },
  )

export const unknownError = () =>
  new DomainError('unknown_error', 'Something went wrong on our side; the request id names it.')
