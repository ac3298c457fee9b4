import { createHash, createHmac, randomUUID } from 'node:crypto'
import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import * as zlib from 'node:zlib'
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb'

/**
 * The service's DynamoDB transport, on Lambda and locally: it implements just DynamoDB's
 * JSON protocol (SigV4 on node:crypto, node:https, the DocumentClient's marshalling
 * from util-dynamodb, the SDK's standard retries), the part of the SDK's clients the
 * data layer uses. Every function's bundle has it in place of `@aws-sdk/client-dynamodb`
 * and `@aws-sdk/lib-dynamodb` (infra/constructs/bundling.ts); the local server builds
 * its store on it too (`leanTransport`), so what runs locally is what deploys. Why: the
 * SDK's per-call machinery (middleware stack resolution, schema serde, endpoint rules)
 * was half of a request's CPU, and a third of every bundle (bench/, README Performance).
 * Errors carry the SDK's names and fields, which is all the data layer reads
 * (shared/data/errors.ts), so the domain behaves identically.
 */

type Json = Record<string, unknown>

export interface LeanClientConfig {
  region: string
  endpoint?: string
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  /** Attempts per call, as the SDK's `maxAttempts` (4 for DynamoDB). */
  maxAttempts?: number
  /** Each attempt's limit, connection to last byte (REQUEST_TIMEOUT_MS when not given). */
  requestTimeoutMs?: number
}

/** A DocumentClient command: its DynamoDB operation and its input in native values. */
class LeanCommand {
  constructor(
    readonly operation: string,
    readonly input: Json,
  ) {}
}

const command = (operation: string) =>
  class extends LeanCommand {
    constructor(input: Json) {
      super(operation, input)
    }
  }

export const GetCommand = command('GetItem')
export const PutCommand = command('PutItem')
export const UpdateCommand = command('UpdateItem')
export const DeleteCommand = command('DeleteItem')
export const QueryCommand = command('Query')
export const BatchGetCommand = command('BatchGetItem')
export const BatchWriteCommand = command('BatchWriteItem')
export const TransactWriteCommand = command('TransactWriteItems')
export const ScanCommand = command('Scan')

/**
 * A command built by the SDK's own classes (locally, where the data layer imports the
 * real `@aws-sdk/lib-dynamodb` and the store is lean): its operation from its class, a
 * DocumentClient command's through the DynamoDB command it wraps (`GetCommand` wraps
 * `GetItemCommand`). In a bundle every command is a LeanCommand.
 */
interface SdkCommand {
  readonly input: object
}
function operationOf(command: LeanCommand | SdkCommand): string {
  if (command instanceof LeanCommand) return command.operation
  const wrapped: unknown = Reflect.get(command, 'clientCommand')
  const name = (typeof wrapped === 'object' && wrapped !== null ? wrapped : command).constructor
    .name
  if (!name.endsWith('Command')) throw new TypeError(`not a DynamoDB command: ${name}`)
  return name.slice(0, -'Command'.length)
}

/** The SDK's initialize-step middleware, as local tooling adds it (IAM emulation, counters). */
type Handler = (args: { input: Json }) => Promise<{ output: Json }>
type Middleware = (next: Handler, context: { clientName: string; commandName: string }) => Handler

/** An error as the SDK raises it: the service's name, message, fields and metadata. */
export class DynamoDBServiceException extends Error {
  $fault: 'client' | 'server'
  $metadata: { httpStatusCode: number; requestId?: string; attempts: number }
  constructor(name: string, status: number, body: Json, requestId: string | undefined) {
    super(String(body.message ?? body.Message ?? name))
    this.name = name
    this.$fault = status >= 500 ? 'server' : 'client'
    this.$metadata = { httpStatusCode: status, requestId, attempts: 1 }
    const { __type, message, Message, ...fields } = body
    Object.assign(this, fields)
  }
}

// As the SDK's standard retry strategy for DynamoDB (@smithy/core's, 2026 defaults):
// 4 attempts, full-jitter backoff from 25 ms (1 s when throttled), on throttling, 5xx
// and network failures; anything else is the caller's to judge.
const MAX_ATTEMPTS = 4
const BASE_DELAY_MS = 25
const THROTTLED_DELAY_MS = 1000
/**
 * The SDK's retry quota (standard mode, 2026 costs): a client starts with 500; a retry
 * of a throttled call costs 5, of any other failure 14; a success gives back what its
 * retry cost, or 1. Spent, a failure is answered at once instead of retried, so an
 * outage isn't met with four times the calls.
 */
export const RETRY_CAPACITY = 500
const RETRY_COST = { throttle: 5, transient: 14 } as const
const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'LimitExceededException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'ThrottledException',
])
const TRANSIENT_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'CRC32CheckFailed',
])

/**
 * An attempt that has not answered in this long is abandoned and retried, as the SDK
 * does with its `requestTimeout` (TimeoutError, ETIMEDOUT: transient). The SDK sets
 * none by default; an authorizer can't wait forever: DynamoDB answers in milliseconds,
 * and 4 attempts of 1 s with their backoff stay inside the function's 6 s timeout.
 */
export const REQUEST_TIMEOUT_MS = 1000

/** A failure of our own making on the way (a timeout, a corrupt answer): not DynamoDB's. */
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

const retryable = (error: unknown): 'throttle' | 'transient' | undefined => {
  if (error instanceof DynamoDBServiceException) {
    const status = error.$metadata.httpStatusCode
    if (status === 429 || THROTTLING.has(error.name)) return 'throttle'
    return TRANSIENT_STATUS.has(status) || TRANSIENT_NAMES.has(error.name) ? 'transient' : undefined
  }
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown }
  if (typeof name === 'string' && TRANSIENT_NAMES.has(name)) return 'transient'
  return typeof code === 'string' && NETWORK_CODES.has(code) ? 'transient' : undefined
}

const sha256 = (data: string) => createHash('sha256').update(data).digest('hex')
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest()

/** The day's signing key: four HMACs, the same all day, so derived once a day (as the SDK caches it). */
let cachedKey: { id: string; key: Buffer } | undefined
function signingKey(secret: string, day: string, region: string): Buffer {
  const id = `${day}/${region}/${secret}`
  if (cachedKey?.id === id) return cachedKey.key
  let key = hmac(`AWS4${secret}`, day)
  for (const part of [region, 'dynamodb', 'aws4_request']) key = hmac(key, part)
  cachedKey = { id, key }
  return key
}

/** Signature Version 4 of one DynamoDB POST: the headers to send. */
export function signedHeaders(
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
    'content-type': 'application/x-amz-json-1.0',
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
  const scope = `${day}/${config.region}/dynamodb/aws4_request`
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n')
  const key = signingKey(secretAccessKey, day, config.region)
  const signature = createHmac('sha256', key).update(toSign).digest('hex')
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`
  return headers
}

// The DocumentClient's translation: these members hold items (or keys), natively on
// our side and as attribute values on the wire; everything else passes as it is.
const ITEM = new Set([
  'Item',
  'Key',
  'ExpressionAttributeValues',
  'ExclusiveStartKey',
  'Attributes',
  'LastEvaluatedKey',
])
const ITEMS = new Set(['Items', 'Keys'])

type Convert = (value: Json) => Json

function translate(value: unknown, convert: Convert, parent?: string): unknown {
  if (Array.isArray(value)) return value.map((entry) => translate(entry, convert, parent))
  if (value === null || typeof value !== 'object') return value
  const out: Json = {}
  for (const [name, member] of Object.entries(value)) {
    if (member === undefined) continue
    out[name] =
      ITEM.has(name) && member !== null
        ? convert(member as Json)
        : ITEMS.has(name) && Array.isArray(member)
          ? member.map((item: Json) => convert(item))
          : // BatchGetItem's `Responses`: per table, a list of items.
            parent === 'Responses' && Array.isArray(member)
            ? member.map((item: Json) => convert(item))
            : translate(member, convert, name)
  }
  return out
}

const toWire: Convert = (item) =>
  marshall(item, { removeUndefinedValues: true, convertClassInstanceToMap: false }) as Json
const fromWire: Convert = (item) => unmarshall(item as Parameters<typeof unmarshall>[0])

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * DynamoDB's endpoint in a region, as the SDK's rules resolve it without options: the
 * China regions are in their own partition's domain. (FIPS, dual-stack and the ISO
 * partitions need an explicit `endpoint`; README, Architecture.)
 */
export const regionalEndpoint = (region: string) =>
  `https://dynamodb.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}`

export class DynamoDBClient {
  readonly config: LeanClientConfig
  /** What is left of the retry quota (RETRY_CAPACITY). */
  retryCapacity = RETRY_CAPACITY
  private middlewares: { name: string; middleware: Middleware }[] = []
  /**
   * The SDK's middleware stack as far as anything of ours touches it: initialize-step
   * middleware around each call (locally: IAM emulation, the commit barrier, the
   * bench's and tests' call counters), seeing the input as the caller gave it.
   */
  readonly middlewareStack = {
    add: (middleware: Middleware, options: { name?: string } = {}): void => {
      this.middlewares.push({
        name: options.name ?? `middleware${this.middlewares.length}`,
        middleware,
      })
    },
    remove: (name: string): boolean => {
      const before = this.middlewares.length
      this.middlewares = this.middlewares.filter((entry) => entry.name !== name)
      return this.middlewares.length < before
    },
    identify: (): string[] => this.middlewares.map(({ name }) => `${name} - initialize`),
  }
  private readonly url: URL
  private readonly agent: HttpAgent

  constructor(config: LeanClientConfig) {
    this.config = config
    this.url = new URL(config.endpoint ?? regionalEndpoint(config.region))
    const Agent = this.url.protocol === 'http:' ? HttpAgent : HttpsAgent
    this.agent = new Agent({ keepAlive: true, maxSockets: 50 })
  }

  /** A command of the SDK's DynamoDBClient (local tooling): wire-form input and output. */
  async send(command: LeanCommand | SdkCommand): Promise<Json> {
    const operation = operationOf(command)
    return this.dispatch(operation, command.input as Json, (input) => this.call(operation, input))
  }

  /** `run` with the input, inside the middleware added (outermost first, as the SDK's). */
  async dispatch(
    operation: string,
    input: Json,
    run: (input: Json) => Promise<Json>,
  ): Promise<Json> {
    if (this.middlewares.length === 0) return run(input)
    const context = { clientName: 'DynamoDBClient', commandName: `${operation}Command` }
    let handler: Handler = async (args) => ({ output: await run(args.input) })
    for (let i = this.middlewares.length - 1; i >= 0; i--) {
      const entry = this.middlewares[i]
      if (entry) handler = entry.middleware(handler, context)
    }
    return (await handler({ input })).output
  }

  /** One operation: signed, sent, retried as the SDK retries, answered in wire form. */
  async call(operation: string, input: Json): Promise<Json> {
    const maxAttempts = this.config.maxAttempts ?? MAX_ATTEMPTS
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
          if (error instanceof DynamoDBServiceException) error.$metadata.attempts = attempt
          throw error
        }
        this.retryCapacity -= cost
        lastCost = cost
        const base = kind === 'throttle' ? THROTTLED_DELAY_MS : BASE_DELAY_MS
        await sleep(Math.random() * Math.min(20_000, base * 2 ** (attempt - 1)))
      }
    }
  }

  private once(operation: string, input: Json): Promise<Json> {
    const body = JSON.stringify(input)
    const credentials = this.config.credentials ?? fromEnvironment()
    const headers = signedHeaders(
      { region: this.config.region, credentials },
      this.url.host,
      `DynamoDB_20120810.${operation}`,
      body,
      new Date(),
    )
    const send = this.url.protocol === 'http:' ? httpRequest : httpsRequest
    const timeoutMs = this.config.requestTimeoutMs ?? REQUEST_TIMEOUT_MS
    let timer: ReturnType<typeof setTimeout> | undefined
    return new Promise<Json>((resolve, reject) => {
      timer = setTimeout(() => {
        const error = transportError(
          'TimeoutError',
          `DynamoDB did not answer within ${timeoutMs} ms`,
          'ETIMEDOUT',
        )
        req.destroy(error)
        reject(error)
      }, timeoutMs)
      const req = send(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('error', reject)
          res.on('end', () => {
            const bytes = Buffer.concat(chunks)
            const status = res.statusCode ?? 500
            // As the SDK v2 and botocore do: checked before parsing, when DynamoDB sent it.
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
            // `__type` is `com.amazonaws.dynamodb.v20120810#Name`: the SDK names errors by its tail.
            const type = String(parsed.__type ?? '')
              .split('#')
              .pop()
            const name = type || (status >= 500 ? 'InternalServerError' : 'UnknownError')
            const requestId = res.headers['x-amzn-requestid']
            reject(new DynamoDBServiceException(name, status, parsed, requestId?.toString()))
          })
        },
      )
      req.on('error', reject)
      req.end(body)
    }).finally(() => clearTimeout(timer))
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

export class DynamoDBDocumentClient {
  private constructor(private readonly client: DynamoDBClient) {}

  static from(client: DynamoDBClient, _options?: unknown) {
    return new DynamoDBDocumentClient(client)
  }

  get middlewareStack() {
    return this.client.middlewareStack
  }

  async send(command: LeanCommand | SdkCommand): Promise<Json> {
    const operation = operationOf(command)
    return this.client.dispatch(operation, command.input as Json, async (native) => {
      const input = translate(native, toWire) as Json
      // As the SDK: a transaction carries an idempotency token, so a retry can't apply it twice.
      if (operation === 'TransactWriteItems') input.ClientRequestToken ??= randomUUID()
      return translate(await this.client.call(operation, input), fromWire) as Json
    })
  }

  destroy() {
    this.client.destroy()
  }
}
