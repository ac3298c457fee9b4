import { isTransient } from '../../data/errors.js'
import { describeError, log } from '../../log.js'
import { ApiError, serviceOffline, unknownError } from '../errors.js'
import type { HttpResult, Middleware } from '../event.js'
import { json } from '../response.js'

const RETRY_AFTER_SECONDS = 1

/** The contract's error body for an ApiError; 5xx bodies also carry the request id. */
export function errorResult(error: ApiError, requestId: string): HttpResult {
  const body = {
    code: error.code,
    message: error.message,
    ...(error.errors && { errors: error.errors }),
    ...(error.status >= 500 && { requestId }),
  }
  return json(error.status, body, error.headers)
}

/** Any thrown value, as the ApiError the client should see. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error
  if (isTransient(error)) return serviceOffline(RETRY_AFTER_SECONDS)
  return unknownError()
}

/**
 * The one place failures become responses. Anything that is not an ApiError is
 * logged with its stack under the request id and answered without internals.
 */
export function errorResponse(): Middleware {
  return {
    name: 'errorResponse',
    onError: (request) => {
      const requestId = request.event.requestContext.requestId
      const apiError = toApiError(request.error)
      if (apiError.status >= 500) {
        log('error', 'request failed', {
          requestId,
          code: apiError.code,
          ...describeError(request.error),
        })
      }
      request.response = errorResult(apiError, requestId)
    },
  }
}
