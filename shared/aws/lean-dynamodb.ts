import { randomUUID } from 'node:crypto'
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb'
import {
  commandFor,
  type Json,
  type JsonService,
  type LeanClientConfig,
  LeanCommand,
  LeanJsonClient,
  LeanServiceException,
  serviceEndpoint,
  signJsonPost,
} from './lean-json.js'

export {
  crc32,
  type LeanClientConfig,
  REQUEST_TIMEOUT_MS,
  RETRY_CAPACITY,
  tableCrc32,
} from './lean-json.js'

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
 * (shared/data/errors.ts), so the domain behaves identically. The signing, the POST,
 * the retries and the errors are the core it shares with the KMS and EventBridge
 * clients (lean-json.ts); what is DynamoDB's is here: its commands, the middleware
 * local tooling adds, and the DocumentClient's translation.
 */

export const GetCommand = commandFor('GetItem')
export const PutCommand = commandFor('PutItem')
export const UpdateCommand = commandFor('UpdateItem')
export const DeleteCommand = commandFor('DeleteItem')
export const QueryCommand = commandFor('Query')
export const BatchGetCommand = commandFor('BatchGetItem')
export const BatchWriteCommand = commandFor('BatchWriteItem')
export const TransactWriteCommand = commandFor('TransactWriteItems')
export const ScanCommand = commandFor('Scan')

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
export class DynamoDBServiceException extends LeanServiceException {}

/** DynamoDB to the core: the SDK's defaults for it are 4 attempts from 25 ms (2026). */
const DYNAMODB: JsonService = {
  name: 'DynamoDB',
  signingName: 'dynamodb',
  targetPrefix: 'DynamoDB_20120810',
  jsonVersion: '1.0',
  maxAttempts: 4,
  baseDelayMs: 25,
  exception: DynamoDBServiceException,
}

/** Signature Version 4 of one DynamoDB POST: the headers to send. */
export const signedHeaders = (
  config: Required<Pick<LeanClientConfig, 'region' | 'credentials'>>,
  host: string,
  target: string,
  body: string,
  now: Date,
): Record<string, string> => signJsonPost(DYNAMODB, config, host, target, body, now)

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

/** DynamoDB's endpoint in a region, as the SDK's rules resolve it without options. */
export const regionalEndpoint = (region: string) => serviceEndpoint('dynamodb', region)

export class DynamoDBClient extends LeanJsonClient {
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

  constructor(config: LeanClientConfig) {
    super(DYNAMODB, config)
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
