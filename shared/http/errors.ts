import { isTransient } from '../data/errors.js'
import { DomainError, type ErrorCode, serviceOffline, unknownError } from '../errors.js'
import type { ErrorHeader } from '../routes.js'

/**
 * The only place error codes meet HTTP: each code's status, and the headers its
 * details call for. The domain raises `DomainError`s; this turns them into answers.
 */
export const STATUS: Record<ErrorCode, number> = {
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

/** Any thrown value, as the error the client should see: outages are 503, the rest 500. */
export function toDomainError(error: unknown): DomainError {
  if (error instanceof DomainError) return error
  if (isTransient(error)) return serviceOffline()
  return unknownError()
}

/**
 * The headers an error's code and details call for: those `errorHeadersOf` (routes.ts)
 * declares for its code. A 429 says when to retry twice, from one computation
 * (`retryWindow`): Retry-After in seconds and X-RateLimit-Retry-At in unix seconds.
 */
export function errorHeaders(error: DomainError): Partial<Record<ErrorHeader, string>> {
  const headers: Partial<Record<ErrorHeader, string>> = {}
  if (error.code === 'authentication_error') headers['www-authenticate'] = 'Bearer realm="latchkey"'
  if (error.code === 'server_authorization_revoked')
    headers['www-authenticate'] = 'Bearer realm="latchkey", error="invalid_token"'
  if (error.details.retryAfterSeconds !== undefined)
    headers['retry-after'] = String(error.details.retryAfterSeconds)
  if (error.details.retryAt !== undefined)
    headers['x-ratelimit-retry-at'] = String(error.details.retryAt)
  if (error.details.allowed) headers.allow = error.details.allowed.join(', ')
  return headers
}
