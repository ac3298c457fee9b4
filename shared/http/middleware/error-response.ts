import type { DomainError } from '../../errors.js'
import { describeError, log } from '../../log.js'
import { errorHeaders, STATUS, toDomainError } from '../errors.js'
import type { HttpResult, Middleware } from '../event.js'
import { json } from '../response.js'

/**
 * The contract's error body for an error: `errors` always (empty when no field is at
 * fault; Server Density's clients read it from every non-2xx answer: the Ansible
 * plugin iterates `content['errors']` unguarded); 5xx bodies also carry the request id.
 */
export function errorResult(error: DomainError, requestId: string): HttpResult {
  const status = STATUS[error.code]
  const body = {
    code: error.code,
    message: error.message,
    errors: error.errors ?? [],
    ...(status >= 500 && { requestId }),
  }
  return json(status, body, errorHeaders(error))
}

/**
 * The one place failures become responses. Anything that is not a DomainError is
 * logged with its stack under the request id and answered without internals.
 */
export function errorResponse(): Middleware {
  return {
    name: 'errorResponse',
    onError: (request) => {
      const requestId = request.event.requestContext.requestId
      const error = toDomainError(request.error)
      if (STATUS[error.code] >= 500) {
        log(
          'error',
          'request failed',
          {
            requestId,
            code: error.code,
            ...describeError(request.error),
          },
          request.event.invocation,
        )
      }
      request.response = errorResult(error, requestId)
    },
  }
}
