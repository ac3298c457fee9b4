/**
 * The one error taxonomy. Handlers and the domain throw these; the error-mapping
 * middleware is the only place that turns them (or anything else) into a response.
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

const STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  authentication_error: 401,
  server_authorization_revoked: 401,
  forbidden_error: 403,
  mfa_required: 403,
  quota_exceeded: 403,
  resource_does_not_exist: 404,
  method_not_allowed: 405,
  resource_already_exists: 409,
  payload_too_large: 413,
  unsupported_content_type: 415,
  too_many_requests: 429,
  unknown_error: 500,
  service_offline: 503,
}

export interface FieldError {
  message: string
  /** The field or parameter at fault, e.g. `name` or `tokenId`. */
  description: string
}

export class ApiError extends Error {
  readonly status: number
  readonly headers: Record<string, string>

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly errors?: FieldError[],
    headers: Record<string, string> = {},
  ) {
    super(message)
    this.name = 'ApiError'
    this.status = STATUS[code]
    this.headers = headers
  }
}

/** One message for every credential failure, so the answer is no oracle. */
export const AUTHENTICATION_MESSAGE = 'The credentials are missing, invalid, expired or revoked.'

export const invalidRequest = (message: string, errors?: FieldError[]) =>
  new ApiError('invalid_request', message, errors)

export const unauthenticated = () =>
  new ApiError('authentication_error', AUTHENTICATION_MESSAGE, undefined, {
    'www-authenticate': 'Bearer realm="latchkey"',
  })

export const forbidden = (message: string) => new ApiError('forbidden_error', message)

export const notFound = (what: string) =>
  new ApiError('resource_does_not_exist', `${what} does not exist.`)

export const alreadyExists = (message: string) => new ApiError('resource_already_exists', message)

export const methodNotAllowed = (method: string, allow: readonly string[]) =>
  new ApiError('method_not_allowed', `Method ${method} is not allowed here.`, undefined, {
    allow: allow.join(', '),
  })

export const payloadTooLarge = (limit: number) =>
  new ApiError('payload_too_large', `The request body is larger than ${limit} bytes.`)

export const unsupportedContentType = (type: string, accepted: readonly string[]) =>
  new ApiError(
    'unsupported_content_type',
    `Content-Type ${type || '(none)'} is not supported; send ${accepted.join(' or ')}.`,
  )

export const serviceOffline = (retryAfterSeconds: number) =>
  new ApiError(
    'service_offline',
    'The service is busy or briefly unavailable; retry shortly.',
    undefined,
    { 'retry-after': String(retryAfterSeconds) },
  )

export const unknownError = () =>
  new ApiError('unknown_error', 'Something went wrong on our side; the request id names it.')
