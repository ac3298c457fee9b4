import type { Middleware } from '../event.js'

/**
 * `HEAD` is answered by the `GET` route's function (API Gateway routes it there as
 * a declared `HEAD` route; the local server, like it): the same status and headers,
 * the length the body would have, and no body.
 */
export function headWithoutBody(): Middleware {
  const strip: Middleware['after'] = ({ event, response }) => {
    if (!response || event.requestContext.http.method !== 'HEAD') return
    const body = response.body ?? ''
    const length = response.isBase64Encoded
      ? Buffer.from(body, 'base64').length
      : Buffer.byteLength(body)
    response.headers = { ...response.headers, 'content-length': String(length) }
    response.body = ''
    response.isBase64Encoded = false
  }
  return { name: 'headWithoutBody', after: strip, onError: strip }
}
