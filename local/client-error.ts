import { randomUUID } from 'node:crypto'
import type { Socket } from 'node:net'
import { invalidRequest } from '../shared/errors.js'
import { errorResult } from '../shared/http/middleware/error-response.js'

/** What Node's parser refused, in words a client can act on (llhttp's error codes). */
const REASONS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: 'The request headers are too large.',
  HPE_INVALID_HEADER_TOKEN: 'A request header is malformed.',
  HPE_INVALID_URL: 'The request target is malformed.',
  HPE_UNEXPECTED_CONTENT_LENGTH: 'Content-Length and Transfer-Encoding may not both be sent.',
  HPE_INVALID_TRANSFER_ENCODING: 'The Transfer-Encoding is not supported.',
  HPE_INVALID_CONTENT_LENGTH: 'The Content-Length is malformed.',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'The chunk extensions are too large.',
}

/**
 * Node's `clientError`: a request its HTTP parser refused (bad header, NUL in the
 * target, oversized headers, Content-Length with Transfer-Encoding). Answered like
 * every other error, in the contract's JSON body with an X-Request-Id, instead of
 * Node's bare 400/431, and the connection is closed (its framing can't be trusted).
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy()
    return
  }
  const requestId = randomUUID()
  const reason = REASONS[error.code ?? ''] ?? 'The request is not valid HTTP/1.1.'
  const result = errorResult(invalidRequest(reason), requestId)
  const body = result.body ?? ''
  const headers = {
    ...result.headers,
    'content-length': String(Buffer.byteLength(body)),
    'x-request-id': requestId,
    connection: 'close',
  }
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`)
  socket.end(`HTTP/1.1 ${result.statusCode} Bad Request\r\n${head.join('')}\r\n${body}`)
}
