import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { contractViolation } from './contract.js'

/**
 * A small fetch wrapper for tests: JSON in, status + headers + parsed body out. Every
 * answer is checked against its route's contract (test/support/contract.ts); a test
 * that means to receive an answer outside it passes `unchecked`.
 */
export interface Reply {
  status: number
  headers: Headers
  // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
  body: any
  text: string
}

export interface RequestOptions {
  token?: string
  /** Sends the token as `?token=` instead of a Bearer header. */
  tokenInQuery?: boolean
  body?: unknown
  rawBody?: string
  headers?: Record<string, string>
  /** Skips the contract check (for raw transport tests of the local server itself). */
  unchecked?: boolean
}

export function client(baseUrl: string) {
  return async (method: string, path: string, options: RequestOptions = {}): Promise<Reply> => {
    const url = new URL(path, baseUrl)
    const headers: Record<string, string> = { ...options.headers }
    if (options.token !== undefined) {
      if (options.tokenInQuery) url.searchParams.set('token', options.token)
      else headers.authorization = `Bearer ${options.token}`
    }
    let body: string | undefined = options.rawBody
    if (options.body !== undefined) {
      body = JSON.stringify(options.body)
      headers['content-type'] ??= 'application/json'
    }
    const response = await fetch(url, { method, headers, body })
    const text = await response.text()
    let parsed: unknown
    try {
      parsed = text ? JSON.parse(text) : undefined
    } catch {
      parsed = undefined
    }
    if (!options.unchecked) {
      const violation = contractViolation({
        method,
        path,
        status: response.status,
        headers: response.headers,
        body: parsed,
        text,
      })
      if (violation) throw new Error(`Contract broken: ${violation}`)
    }
    return { status: response.status, headers: response.headers, body: parsed, text }
  }
}

/**
 * A request with the path sent exactly as given: fetch (WHATWG URL) would resolve
 * `%2e%2e` and read `//host` as a host before the server saw them.
 */
export function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  const { hostname, port } = new URL(baseUrl)
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        hostname,
        port,
        method,
        path,
        // Node frames a GET or DELETE body only when told its length.
        headers: {
          ...options.headers,
          ...(options.body !== undefined && {
            'content-length': String(Buffer.byteLength(options.body)),
          }),
        },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          const headers = new Headers()
          for (const [name, value] of Object.entries(res.headers))
            if (value !== undefined)
              headers.set(name, Array.isArray(value) ? value.join(', ') : value)
          let body: unknown
          try {
            body = text ? JSON.parse(text) : undefined
          } catch {
            body = undefined
          }
          resolve({ status: res.statusCode ?? 0, headers, body, text })
        })
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

/** Bytes on a fresh connection, and everything the server sends back until it closes. */
export function rawExchange(baseUrl: string, bytes: string | Buffer): Promise<string> {
  const { hostname, port } = new URL(baseUrl)
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(bytes))
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    socket.on('error', reject)
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')))
  })
}

/** A raw HTTP/1.1 response split into status, lower-cased headers and body. */
export function parseRawResponse(text: string) {
  const [head = '', ...rest] = text.split('\r\n\r\n')
  const [statusLine = '', ...lines] = head.split('\r\n')
  const headers = new Map(
    lines.map((line) => {
      const at = line.indexOf(':')
      return [line.slice(0, at).trim().toLowerCase(), line.slice(at + 1).trim()] as const
    }),
  )
  return { status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') }
}
