import type { Middleware } from '../event.js'

/**
 * Every response carries `X-Request-Id`, the id the logs use for the request, and the
 * headers the stack set for the whole request (`responseHeaders`), errors included.
 */
export function requestIdHeader(): Middleware {
  const stamp: Middleware['after'] = ({ event, response }) => {
    if (response) {
      response.headers = {
        ...event.responseHeaders,
        ...response.headers,
        'x-request-id': event.requestContext.requestId,
      }
    }
  }
  return { name: 'requestIdHeader', after: stamp, onError: stamp }
}
