import { createHash, createHmac } from 'node:crypto'
import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import * as zlib from 'node:zlib'
import { THROTTLING_ERRORS } from './error-names.js'

/**
 * The core the lean AWS clients share (lean-dynamodb.ts, lean-kms.ts,
 * lean-eventbridge.ts): one POST of AWS's JSON protocol (1.0 or 1.1), signed with
 * SigV4 on node:crypto, sent on node:https with keep-alive, retried as the SDK's
 * standard retry strategy retries (its attempts, backoff and retry quota), and its
 * errors raised with the SDK's names and fields. Each client adds only what its service
 * needs: its target prefix, its defaults and its members' translation.
 */

export type Json = Record<string, unknown>

export interface LeanClientConfig {
  region: string
  endpoint?: string
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  /** Attempts per call, as the SDK's `maxAttempts` (the service's default when not given). */
  maxAttempts?: number
  /**
   * How long an attempt's socket may stay silent, its connect included, before the
   * attempt is abandoned (REQUEST_TIMEOUT_MS when not given). Counted from the socket:
   * a request waiting for a free one is not yet an attempt that can time out.
   */
  requestTimeoutMs?: number
}

/** What differs between the services spoken through this core. */
export interface JsonService {
  /** The service's name in messages ("DynamoDB did not answer..."). */
  name: string
  /** SigV4 signing name and endpoint prefix: `dynamodb`, `kms`, `events`. */
  signingName: string
  /** `X-Amz-Target`'s prefix: `DynamoDB_20120810`, `TrentService`, `AWSEvents`. */
  targetPrefix: string
  /** The JSON protocol's version, in the content type. */
  jsonVersion: '1.0' | '1.1'
  /** The SDK's defaults for the service (2026): attempts and the backoff's base. */
  maxAttempts: number
  baseDelayMs: number
  /** The class its errors are raised as (the SDK's `<Service>ServiceException`). */
  exception: new (
    name: string,
    status: number,
    body: Json,
    requestId: string | undefined,
  ) => LeanServiceException
}

/** An error as the SDK raises it: the service's name, message, fields and metadata. */
export class LeanServiceException extends Error {
  $fault: 'client' | 'server'
  $metadata: { httpStatusCode: number; requestId?: string; attempts: number }
  constructor(name: string, status: number, body: Json, requestId: string | undefined) {
    // As the SDK: an answer without a message is raised with 'UnknownError' as its message.
    super(String(body.message || body.Message || 'UnknownError'))
    this.name = name
    this.$fault = status >= 500 ? 'server' : 'client'
    this.$metadata = { httpStatusCode: status, requestId, attempts: 1 }
    const { __type, message, Message, ...fields } = body
    Object.assign(this, fields)
  }
}

// As the SDK's standard retry strategy (@smithy/core's, 2026 defaults): full-jitter
// backoff from the service's base (1 s when throttled), on throttling, 5xx and network
// failures; anything else is the caller's to judge.
const THROTTLED_DELAY_MS = 1000
/**
 * The SDK's retry quota (standard mode, 2026 costs): a client starts with 500; a retry
 * of a throttled call costs 5, of any other failure 14; a success gives back what its
 * retry cost, or 1. Spent, a failure is answered at once instead of retried, so an
 * outage isn't met with several times the calls.
 */
export const RETRY_CAPACITY = 500
const RETRY_COST = { throttle: 5, transient: 14 } as const
const TRANSIENT_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'CRC32CheckFailed',
])

/**
 * An attempt whose socket is silent this long (to connect, or to answer) is abandoned
 * and retried, as the SDK does with its `socketTimeout` (TimeoutError: transient; the
 * SDK's default is 300 s). Not the SDK's `connectionTimeout` nor `requestTimeout`: both
 * start with the request, so a burst queued for the agent's sockets would time out, and
 * spend the retry quota, without ever reaching the service. An authorizer can't wait
 * forever: DynamoDB and KMS answer in milliseconds, and 4 attempts of 1 s with their
 * backoff stay inside a 6 s timeout (on Lambda nothing queues: see the agent).
 */
export const REQUEST_TIMEOUT_MS = 1000

/** A failure of our own making on the way (a timeout, a corrupt answer): not the service's. */
const transportError = (name: string, message: string, code?: string) =>
  Object.assign(new Error(message), { name, ...(code && { code }) })

/**
 * CRC-32 (ISO-HDLC, zlib's and java.util.zip's), what DynamoDB sends of every response
 * body in `x-amz-crc32`. node:zlib's (native) from Node 22, as on Lambda; a table of
 * 256 before that.
 */
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32
let crcTable: Uint32Array | undefined
export const crc32 = (bytes: Uint8Array): number =>
  nativeCrc32 ? nativeCrc32(bytes) : tableCrc32(bytes)
export function tableCrc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256)
    for (let n = 0; n < 256; n++) {
      let c = n
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
      crcTable[n] = c >>> 0
    }
  }
  let crc = 0xffffffff
  for (const byte of bytes) crc = (crcTable[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}
const TRANSIENT_STATUS = new Set([500, 502, 503, 504])
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
])

/** Whether the SDK's standard strategy retries `error`, and as what (its cost differs). */
export const retryable = (error: unknown): 'throttle' | 'transient' | undefined => {
  if (error instanceof LeanServiceException) {
    const status = error.$metadata.httpStatusCode
    if (status === 429 || THROTTLING_ERRORS.has(error.name)) return 'throttle'
    return TRANSIENT_STATUS.has(status) || TRANSIENT_NAMES.has(error.name) ? 'transient' : undefined
  }
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown }
  if (typeof name === 'string' && TRANSIENT_NAMES.has(name)) return 'transient'
  return typeof code === 'string' && NETWORK_CODES.has(code) ? 'transient' : undefined
}

const sha256 = (data: string) => createHash('sha256').update(data).digest('hex')
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest()

/**
 * Each day's signing key per region and service: four HMACs, the same all day, so
 * derived once a day (as the SDK caches them). A function talks to one or two services.
 */
const signingKeys = new Map<string, Buffer>()
function signingKey(secret: string, day: string, region: string, service: string): Buffer {
  const id = `${day}/${region}/${service}/${secret}`
  const cached = signingKeys.get(id)
  if (cached) return cached
  let key = hmac(`AWS4${secret}`, day)
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part)
  if (signingKeys.size >= 8) signingKeys.clear() // yesterday's, or rotated credentials'
  signingKeys.set(id, key)
  return key
}

/** Signature Version 4 of one JSON-protocol POST to `service`: the headers to send. */
export function signJsonPost(
  service: Pick<JsonService, 'signingName' | 'jsonVersion'>,
  config: Required<Pick<LeanClientConfig, 'region' | 'credentials'>>,
  host: string,
  target: string,
  body: string,
  now: Date,
): Record<string, string> {
  const amzDate = now.toISOString().replace(/[:-]|\.\d{3}/g, '')
  const day = amzDate.slice(0, 8)
  const { accessKeyId, secretAccessKey, sessionToken } = config.credentials
  const headers: Record<string, string> = {
    'content-type': `application/x-amz-json-${service.jsonVersion}`,
    host,
    'x-amz-date': amzDate,
    ...(sessionToken && { 'x-amz-security-token': sessionToken }),
    'x-amz-target': target,
  }
  const names = Object.keys(headers).sort()
  const canonical = [
    'POST',
    '/',
    '',
    ...names.map((name) => `${name}:${headers[name]}`),
    '',
    names.join(';'),
    sha256(body),
  ].join('\n')
  const scope = `${day}/${config.region}/${service.signingName}/aws4_request`
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n')
  const key = signingKey(secretAccessKey, day, config.region, service.signingName)
  const signature = createHmac('sha256', key).update(toSign).digest('hex')
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`
  return headers
}

/**
 * A service's endpoint in a region, as the SDK's rules resolve it without options: the
 * China regions are in their own partition's domain. (FIPS, dual-stack and the ISO
 * partitions need an explicit `endpoint`; README, Architecture.)
 */
export const serviceEndpoint = (prefix: string, region: string) =>
  `https://${prefix}.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}`

/**
 * The error's name as the SDK reads it from a JSON-protocol answer: `__type`, else
 * `code`, else the `x-amzn-errortype` header, cut to its shape name
 * (`com.amazonaws.dynamodb.v20120810#Name`, `Name:http://...`).
 */
function errorName(body: Json, header: string | undefined): string | undefined {
  const raw = body.__type ?? body.code ?? body.Code ?? header
  if (raw === undefined || raw === null || raw === '') return undefined
  const name = String(raw).split(',')[0]?.split(':')[0] ?? ''
  return (name.includes('#') ? name.split('#')[1] : name) || undefined
}

/**
 * The wire form of a JSON 1.1 input as the SDK writes it: blobs (Uint8Array, Buffer)
 * base64, timestamps epoch seconds; the rest as it is, undefined members dropped.
 */
export function toJsonWire(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64')
  if (value instanceof Date) return value.getTime() / 1000
  if (Array.isArray(value)) return value.map(toJsonWire)
  if (value === null || typeof value !== 'object') return value
  const out: Json = {}
  for (const [name, member] of Object.entries(value))
    if (member !== undefined) out[name] = toJsonWire(member)
  return out
}

/** A base64 blob of an answer as the SDK gives it: a Uint8Array (not a Buffer). */
export function fromBase64(text: string): Uint8Array {
  const bytes = Buffer.from(text, 'base64')
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** One service's client: its endpoint, its connections, its retry quota. */
export class LeanJsonClient {
  readonly config: LeanClientConfig
  /** What is left of the retry quota (RETRY_CAPACITY). */
  retryCapacity = RETRY_CAPACITY
  private readonly url: URL
  private readonly agent: HttpAgent

  constructor(
    private readonly service: JsonService,
    config: LeanClientConfig,
  ) {
    this.config = config
    this.url = new URL(config.endpoint ?? serviceEndpoint(service.signingName, config.region))
    const Agent = this.url.protocol === 'http:' ? HttpAgent : HttpsAgent
    // The SDK's agent: connections kept for the next call (on Lambda, the next invocation:
    // no TLS handshake per call), at most 50 to the endpoint. A function serves one
    // invocation at a time, 16 calls at once at most (leak revocation's), so it never
    // waits for a socket; the local server's bursts may, and that wait is no attempt's.
    this.agent = new Agent({ keepAlive: true, maxSockets: 50 })
  }

  /** One operation: signed, sent, retried as the SDK retries, answered in wire form. */
  async call(operation: string, input: Json): Promise<Json> {
    const maxAttempts = this.config.maxAttempts ?? this.service.maxAttempts
    let lastCost: number | undefined
    for (let attempt = 1; ; attempt++) {
      try {
        const output = await this.once(operation, input)
        this.retryCapacity = Math.min(RETRY_CAPACITY, this.retryCapacity + (lastCost ?? 1))
        return { ...output, $metadata: { httpStatusCode: 200, attempts: attempt } }
      } catch (error) {
        const kind = retryable(error)
        const cost = kind && RETRY_COST[kind]
        if (!cost || attempt >= maxAttempts || this.retryCapacity < cost) {
          if (error instanceof LeanServiceException) error.$metadata.attempts = attempt
          throw error
        }
        this.retryCapacity -= cost
        lastCost = cost
        const base = kind === 'throttle' ? THROTTLED_DELAY_MS : this.service.baseDelayMs
        await sleep(Math.random() * Math.min(20_000, base * 2 ** (attempt - 1)))
      }
    }
  }

  private once(operation: string, input: Json): Promise<Json> {
    const { service } = this
    const body = JSON.stringify(input)
    const credentials = this.config.credentials ?? fromEnvironment()
    const headers = signJsonPost(
      service,
      { region: this.config.region, credentials },
      this.url.host,
      `${service.targetPrefix}.${operation}`,
      body,
      new Date(),
    )
    const send = this.url.protocol === 'http:' ? httpRequest : httpsRequest
    const timeoutMs = this.config.requestTimeoutMs ?? REQUEST_TIMEOUT_MS
    return new Promise<Json>((resolve, reject) => {
      const req = send(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          // The socket's idle limit, armed when the request gets its socket (a new one's
          // connect included), not while it waits in the agent's queue for one.
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('error', reject)
          res.on('end', () => {
            const bytes = Buffer.concat(chunks)
            const status = res.statusCode ?? 500
            // As the SDK v2 and botocore do: checked before parsing, when the service sent
            // it (DynamoDB does; KMS and EventBridge don't).
            const sent = res.headers['x-amz-crc32']
            if (sent !== undefined && Number(sent) !== crc32(bytes))
              return reject(transportError('CRC32CheckFailed', 'CRC32 integrity check failed'))
            const text = bytes.toString('utf8')
            let parsed: Json = {}
            try {
              parsed = text ? JSON.parse(text) : {}
            } catch {
              parsed = { message: text.slice(0, 200) }
            }
            if (status === 200) return resolve(parsed)
            const header = res.headers['x-amzn-errortype']
            const name =
              errorName(parsed, header?.toString()) ??
              (status >= 500 ? 'InternalServerError' : 'UnknownError')
            const requestId = res.headers['x-amzn-requestid']
            reject(new service.exception(name, status, parsed, requestId?.toString()))
          })
        },
      )
      req.on('timeout', () => {
        const error = transportError(
          'TimeoutError',
          `${service.name} did not answer within ${timeoutMs} ms`,
          'ETIMEDOUT',
        )
        reject(error)
        req.destroy(error)
      })
      req.on('error', reject)
      req.end(body)
    })
  }

  destroy() {
    this.agent.destroy()
  }
}

/** Lambda's execution-role credentials, read per call (as the SDK's env provider does once). */
function fromEnvironment() {
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY
  if (!accessKeyId || !secretAccessKey) {
    const error = new Error('Unable to find environment variable credentials.')
    error.name = 'CredentialsProviderError'
    throw error
  }
  return { accessKeyId, secretAccessKey, sessionToken: process.env.AWS_SESSION_TOKEN }
}

/** A command of a lean client: its operation and its input as the caller gave it. */
export class LeanCommand<Input extends object = Json> {
  constructor(
    readonly operation: string,
    readonly input: Input,
  ) {}
}

/** A command class for one operation, as the SDK exports one per operation. */
export const commandFor = (operation: string) =>
  class extends LeanCommand {
    constructor(input: Json) {
      super(operation, input)
    }
  }
