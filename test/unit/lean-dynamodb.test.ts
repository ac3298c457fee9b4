import { createServer, type IncomingMessage, type Server } from 'node:http'
import { type AddressInfo, createServer as createNetServer, Socket } from 'node:net'
import { Sha256 } from '@aws-crypto/sha256-js'
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb'
import * as Sdk from '@aws-sdk/lib-dynamodb'
import { SignatureV4 } from '@smithy/signature-v4'
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  type MockInstance,
  vi,
} from 'vitest'
import * as Lean from '../../shared/aws/lean-dynamodb.js'
import { retryable } from '../../shared/aws/lean-json.js'
import { cancellationReasons, isConditionFailed, isTransient } from '../../shared/data/errors.js'

/**
 * The authorizer's lean DynamoDB transport against the SDK it stands in for: a local
 * HTTP stub records what each sends and answers both alike, so the wire (target, body),
 * the outputs, the errors (as shared/data/errors.ts reads them), the retries and the
 * signature can be compared exactly. DynamoDB Local itself is the integration tests'
 * (the local server runs the authorizer's bundle on it: local/authorizer.ts).
 */
/**
 * What the stub answers: a status and body, with the body's `x-amz-crc32` as DynamoDB
 * sends it (`sent`: other bytes than those the checksum is of, as if changed on the way);
 * a reset connection; or no answer at all.
 */
type Answer = { status: number; body: unknown; sent?: unknown } | 'reset' | 'silent'
interface Seen {
  target: string
  body: unknown
  headers: IncomingMessage['headers']
}

let server: Server
let url = ''
let answers: Answer[] = []
let seen: Seen[] = []
const silent: Socket[] = []

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const text = Buffer.concat(chunks).toString('utf8')
    seen.push({
      target: String(req.headers['x-amz-target']),
      body: JSON.parse(text),
      headers: req.headers,
    })
    const answer = answers.shift() ?? { status: 200, body: {} }
    if (answer === 'reset') {
      req.socket.destroy()
      return
    }
    if (answer === 'silent') {
      silent.push(req.socket) // closed after the test, whoever gave up on it
      return
    }
    const body = JSON.stringify(answer.body)
    res.writeHead(answer.status, {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-requestid': 'stub-request',
      'x-amz-crc32': String(Lean.crc32(Buffer.from(body))),
    })
    res.end('sent' in answer ? JSON.stringify(answer.sent) : body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise((resolve) => server.close(resolve)))
afterEach(() => {
  answers = []
  seen = []
  for (const socket of silent.splice(0)) socket.destroy()
})

const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' }
const sleepMs = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const sdk = () =>
  Sdk.DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: 'eu-west-1', endpoint: url, credentials }),
    { marshallOptions: { removeUndefinedValues: true } },
  )
const lean = () =>
  Lean.DynamoDBDocumentClient.from(
    new Lean.DynamoDBClient({ region: 'eu-west-1', endpoint: url, credentials }),
  )

/** Each DocumentClient command beside its lean stand-in. */
const COMMANDS = {
  GetCommand: [Sdk.GetCommand, Lean.GetCommand],
  PutCommand: [Sdk.PutCommand, Lean.PutCommand],
  UpdateCommand: [Sdk.UpdateCommand, Lean.UpdateCommand],
  DeleteCommand: [Sdk.DeleteCommand, Lean.DeleteCommand],
  QueryCommand: [Sdk.QueryCommand, Lean.QueryCommand],
  BatchGetCommand: [Sdk.BatchGetCommand, Lean.BatchGetCommand],
  BatchWriteCommand: [Sdk.BatchWriteCommand, Lean.BatchWriteCommand],
  TransactWriteCommand: [Sdk.TransactWriteCommand, Lean.TransactWriteCommand],
} as const
type Name = keyof typeof COMMANDS

/** Sends one command through each client, both answered `answer`: what each sent and got. */
async function both(name: Name, input: Record<string, unknown>, answer: Answer) {
  const run = async (send: () => Promise<unknown>) => {
    answers = [answer]
    seen = []
    const output = await send().then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    )
    return { output, requests: seen }
  }
  const [SdkCommand, LeanCommand] = COMMANDS[name]
  // Each SDK command types its own input; the cases give each its right shape.
  const sdkCommand = new (SdkCommand as unknown as new (input: unknown) => Sdk.GetCommand)(input)
  const sdkSide = await run(() => sdk().send(sdkCommand))
  const leanSide = await run(() => lean().send(new LeanCommand(input)))
  return { sdk: sdkSide, lean: leanSide }
}

const withoutMetadata = (output: { value: unknown } | { error: unknown }) => {
  const value = 'value' in output ? output.value : {}
  const { $metadata, ...rest } = (value ?? {}) as Record<string, unknown>
  return rest
}

const item = {
  PK: { S: 'TEAM#acme#USER#ann' },
  SK: { S: 'PAT#0000000000000001' },
  id: { N: '1' },
  scopes: { L: [{ S: 'orders:read' }] },
  meta: { M: { env: { S: 'prod' }, n: { N: '2.5' }, on: { BOOL: true }, none: { NULL: true } } },
  tags: { SS: ['a', 'b'] },
}
const key = { PK: 'TEAM#acme#USER#ann', SK: 'PAT#0000000000000001' }

describe('the lean DynamoDB transport, against the SDK it replaces', () => {
  const cases: [Name, Record<string, unknown>, unknown][] = [
    ['GetCommand', { TableName: 't', Key: key, ConsistentRead: true }, { Item: item }],
    [
      'BatchGetCommand',
      {
        RequestItems: {
          t: { Keys: [{ PK: 'TEAM#acme#USER#ann', SK: 'PAT#' }, key], ConsistentRead: true },
        },
      },
      {
        Responses: { t: [item] },
        UnprocessedKeys: {
          t: { Keys: [{ PK: { S: 'p' }, SK: { S: 's' } }], ConsistentRead: true },
        },
      },
    ],
    [
      'UpdateCommand',
      {
        TableName: 't',
        Key: key,
        UpdateExpression: 'SET #n = if_not_exists(#n, :zero) + :one, lastUsed = :now, gone = :gone',
        ConditionExpression: 'attribute_exists(PK) AND #n < :limit',
        ExpressionAttributeNames: { '#n': 'count' },
        ExpressionAttributeValues: {
          ':zero': 0,
          ':one': 1,
          ':limit': 50,
          ':now': '2026-11-25T00:00:00.000Z',
          ':gone': undefined,
          ':set': new Set(['x']),
          ':map': { a: [1, 'b', null, true] },
        },
        ReturnValues: 'UPDATED_NEW',
      },
      { Attributes: { count: { N: '7' } } },
    ],
    [
      'QueryCommand',
      {
        TableName: 't',
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :p)',
        ExpressionAttributeValues: { ':pk': 'TEAM#acme#USER#ann', ':p': 'PAT#' },
        ExclusiveStartKey: key,
        Limit: 101,
        ConsistentRead: true,
      },
      { Items: [item, item], Count: 2, LastEvaluatedKey: { PK: { S: 'p' }, SK: { S: 's' } } },
    ],
    ['PutCommand', { TableName: 't', Item: { ...key, n: 1, x: undefined } }, {}],
    ['DeleteCommand', { TableName: 't', Key: key, ReturnValues: 'ALL_OLD' }, { Attributes: item }],
    [
      'TransactWriteCommand',
      {
        TransactItems: [
          {
            Put: {
              TableName: 't',
              Item: { ...key, n: 1 },
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
          {
            Update: {
              TableName: 't',
              Key: key,
              UpdateExpression: 'ADD n :one',
              ExpressionAttributeValues: { ':one': 1 },
            },
          },
          { Delete: { TableName: 't', Key: key } },
          {
            ConditionCheck: {
              TableName: 't',
              Key: key,
              ConditionExpression: 'attribute_exists(PK)',
            },
          },
        ],
      },
      {},
    ],
    [
      'BatchWriteCommand',
      {
        RequestItems: {
          t: [{ PutRequest: { Item: { ...key, n: 1 } } }, { DeleteRequest: { Key: key } }],
        },
      },
      { UnprocessedItems: { t: [{ DeleteRequest: { Key: { PK: { S: 'p' }, SK: { S: 's' } } } }] } },
    ],
  ]

  it.each(cases)(
    '%s: the same request on the wire and the same output',
    async (name, input, body) => {
      const { sdk: a, lean: b } = await both(name, input, { status: 200, body })
      expect(a.output).not.toHaveProperty('error')
      expect(b.output).not.toHaveProperty('error')
      // A transaction's idempotency token is random on either side: present on both.
      const wire = (r: Seen) => {
        const { ClientRequestToken, ...rest } = r.body as Record<string, unknown>
        return [r.target, rest, typeof ClientRequestToken]
      }
      expect(b.requests.map(wire)).toEqual(a.requests.map(wire))
      expect(withoutMetadata(b.output)).toEqual(withoutMetadata(a.output))
      expect(b.requests[0]?.headers['content-type']).toBe(a.requests[0]?.headers['content-type'])
    },
  )

  const failures: [string, number, Record<string, unknown>][] = [
    [
      'ConditionalCheckFailedException',
      400,
      {
        __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
        message: 'The conditional request failed',
      },
    ],
    [
      'ConditionalCheckFailedException with the item as it was',
      400,
      {
        __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
        message: 'The conditional request failed',
        Item: item, // ReturnValuesOnConditionCheckFailure: the item as it was
      },
    ],
    [
      'TransactionCanceledException',
      400,
      {
        __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
        Message: 'Transaction cancelled, please refer cancellation reasons for specific reasons',
        CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed', Message: 'no' }],
      },
    ],
    [
      'ValidationException',
      400,
      { __type: 'com.amazon.coral.validate#ValidationException', message: 'bad key' },
    ],
    [
      'ValidationException without a message',
      400,
      { __type: 'com.amazon.coral.validate#ValidationException' },
    ],
    [
      'AccessDeniedException',
      400,
      { __type: 'com.amazon.coral.service#AccessDeniedException', Message: 'not authorized' },
    ],
  ]

  it.each(failures)('raises %s as the SDK does, once', async (_, status, body) => {
    const { sdk: a, lean: b } = await both(
      'UpdateCommand',
      { TableName: 't', Key: key },
      { status, body },
    )
    const [x, y] = [a.output, b.output].map(
      (o) => (o as { error: Error & Record<string, unknown> }).error,
    )
    expect(y?.name).toBe(x?.name)
    expect(y?.message).toBe(x?.message)
    expect(y?.$fault).toBe(x?.$fault)
    expect(y?.CancellationReasons).toEqual(x?.CancellationReasons)
    expect(y?.Item).toEqual(x?.Item)
    expect(y?.$metadata).toMatchObject({ httpStatusCode: status })
    // What the data layer reads of an error agrees, and nothing was retried.
    for (const read of [isConditionFailed, isTransient, cancellationReasons])
      expect(read(y)).toEqual(read(x))
    expect([a.requests.length, b.requests.length]).toEqual([1, 1])
  })

  it('retries throttling and 5xx as the SDK does, and succeeds within its 4 attempts', async () => {
    const throttled = {
      status: 400,
      body: { __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException' },
    }
    answers = [
      throttled,
      { status: 500, body: { __type: 'InternalServerError' } },
      { status: 200, body: { Item: item } },
    ]
    const output = await lean().send(new Lean.GetCommand({ TableName: 't', Key: key }))
    expect(seen).toHaveLength(3)
    expect(output.Item).toMatchObject({ id: 1, tags: new Set(['a', 'b']) })
    expect(output.$metadata).toMatchObject({ attempts: 3 })
  })

  it('gives up after 4 attempts with the error the SDK raises, marked transient', async () => {
    const fault = {
      status: 503,
      body: { __type: 'com.amazon.coral.availability#ServiceUnavailableException' },
    }
    const run = async (send: () => Promise<unknown>) => {
      answers = [fault, fault, fault, fault]
      seen = []
      const error = await send().then(
        () => undefined,
        (e: unknown) => e as Error & Record<string, unknown>,
      )
      return { error, requests: seen.length }
    }
    const input = { TableName: 't', Key: key }
    const a = await run(() => sdk().send(new Sdk.GetCommand(input)))
    const b = await run(() => lean().send(new Lean.GetCommand(input)))
    expect([a.requests, b.requests]).toEqual([4, 4])
    expect(b.error).toMatchObject({ name: a.error?.name, $fault: 'server' })
    expect(b.error?.$metadata).toMatchObject({ httpStatusCode: 503, attempts: 4 })
    expect([isTransient(a.error), isTransient(b.error)]).toEqual([true, true])
  })

  it('backs off as the SDK does: its full jitter doubles from 25 ms, from 1 s when throttled, to 20 s', async () => {
    const fault = { status: 500, body: { __type: 'InternalServerError' } }
    const throttled = { status: 400, body: { __type: 'x#ThrottlingException' } }
    // The top of each draw (the jitter at 1), and every sleep cut short but noted: the
    // SDK's own 3 s timers (its socket checks) aside, what each waited between attempts.
    vi.spyOn(Math, 'random').mockReturnValue(1)
    const real = setTimeout
    const delays: number[] = []
    const timers = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((
      run: () => void,
      ms?: number,
    ) => {
      if (ms === 3000) return real(run, ms)
      delays.push(ms ?? 0)
      return real(run, 0)
    }) as typeof setTimeout)
    const run = async (send: () => Promise<unknown>) => {
      delays.length = 0
      answers = [fault, fault, throttled, fault, throttled, throttled, throttled]
      await send().catch(() => undefined)
      return [...delays]
    }
    try {
      const input = { TableName: 't', Key: key }
      const config = { region: 'eu-west-1', endpoint: url, credentials, maxAttempts: 8 }
      const sdkClient = Sdk.DynamoDBDocumentClient.from(new DynamoDBClient(config))
      const leanClient = Lean.DynamoDBDocumentClient.from(new Lean.DynamoDBClient(config))
      const a = await run(() => sdkClient.send(new Sdk.GetCommand(input)))
      const b = await run(() => leanClient.send(new Lean.GetCommand(input)))
      expect(b).toEqual([25, 50, 4000, 200, 16_000, 20_000, 20_000])
      expect(b).toEqual(a)
    } finally {
      timers.mockRestore()
      vi.mocked(Math.random).mockRestore()
    }
  })

  it('retries what the SDK retries: throttling, 5xx, timeouts and network failures, no other', () => {
    const answered = (name: string, status: number) =>
      new Lean.DynamoDBServiceException(name, status, {}, undefined)
    const failed = (fields: { name?: string; code?: unknown }) =>
      Object.assign(new Error('on the way'), fields)
    expect(retryable(answered('ThrottlingException', 400))).toBe('throttle')
    expect(retryable(answered('ProvisionedThroughputExceededException', 400))).toBe('throttle')
    expect(retryable(answered('Anything', 429))).toBe('throttle')
    for (const status of [500, 502, 503, 504])
      expect(retryable(answered('Anything', status)), String(status)).toBe('transient')
    for (const status of [400, 403, 501, 505])
      expect(retryable(answered('Anything', status)), String(status)).toBeUndefined()
    for (const name of [
      'TimeoutError',
      'RequestTimeout',
      'RequestTimeoutException',
      'CRC32CheckFailed',
    ]) {
      expect(retryable(answered(name, 400)), name).toBe('transient')
      expect(retryable(failed({ name })), name).toBe('transient')
    }
    // The SDK's NODEJS_TIMEOUT_ERROR_CODES and NODEJS_NETWORK_ERROR_CODES.
    const network = [
      'ECONNRESET',
      'ECONNREFUSED',
      'EPIPE',
      'ETIMEDOUT',
      'EHOSTUNREACH',
      'ENETUNREACH',
      'ENOTFOUND',
      'EAI_AGAIN',
    ]
    for (const code of network) expect(retryable(failed({ code })), code).toBe('transient')
    expect(retryable(failed({ code: 'EACCES' }))).toBeUndefined()
    expect(retryable(failed({ name: 'TypeError', code: 7 }))).toBeUndefined()
    expect(retryable(answered('ValidationException', 400))).toBeUndefined()
    expect(retryable(undefined)).toBeUndefined()
    expect(retryable(null)).toBeUndefined()
  })

  it('retries a connection reset, and raises it with its code when it persists', async () => {
    answers = ['reset', { status: 200, body: { Item: item } }]
    const output = await lean().send(new Lean.GetCommand({ TableName: 't', Key: key }))
    expect(output.Item).toMatchObject({ id: 1 })
    answers = ['reset', 'reset', 'reset', 'reset']
    seen = []
    const error = await lean()
      .send(new Lean.GetCommand({ TableName: 't', Key: key }))
      .catch((e: unknown) => e)
    expect(seen).toHaveLength(4)
    expect(isTransient(error)).toBe(true)
  })

  it("sends the SDK's own command objects as it sends its own (the local server's case)", async () => {
    answers = [
      { status: 200, body: { Item: item } },
      { status: 200, body: {} },
    ]
    seen = []
    const output = await lean().send(new Sdk.GetCommand({ TableName: 't', Key: key }))
    expect(seen[0]?.target).toBe('DynamoDB_20120810.GetItem')
    expect(seen[0]?.body).toEqual({ TableName: 't', Key: { PK: { S: key.PK }, SK: { S: key.SK } } })
    expect(output.Item).toEqual(expect.objectContaining({ PK: item.PK.S }))
    // A command of the base client: wire form both ways, no translation.
    const client = new Lean.DynamoDBClient({ region: 'eu-west-1', endpoint: url, credentials })
    await client.send(new DescribeTableCommand({ TableName: 't' }))
    expect(seen[1]?.target).toBe('DynamoDB_20120810.DescribeTable')
  })

  it('runs middleware added to its stack around each call, outermost first, until removed', async () => {
    const client = new Lean.DynamoDBClient({ region: 'eu-west-1', endpoint: url, credentials })
    const documents = Lean.DynamoDBDocumentClient.from(client)
    const calls: string[] = []
    client.middlewareStack.add(
      (next, context) => async (args) => {
        calls.push(
          `outer ${context.clientName} ${context.commandName} ${JSON.stringify(args.input.Key)}`,
        )
        const result = await next(args)
        calls.push(`outer saw ${JSON.stringify(result.output.Item)}`)
        return result
      },
      { name: 'outer' },
    )
    documents.middlewareStack.add(
      (next) => async (args) => {
        calls.push('inner')
        return next(args)
      },
      { name: 'inner' },
    )
    expect(client.middlewareStack.identify()).toEqual(['outer - initialize', 'inner - initialize'])
    answers = [
      { status: 200, body: { Item: { id: { N: '7' } } } },
      { status: 200, body: {} },
    ]
    await documents.send(new Lean.GetCommand({ TableName: 't', Key: { id: 1 } }))
    // The input as the caller gave it and the output as it gets it: native values.
    expect(calls).toEqual([
      'outer DynamoDBClient GetItemCommand {"id":1}',
      'inner',
      'outer saw {"id":7}',
    ])
    expect(client.middlewareStack.remove('outer')).toBe(true)
    expect(client.middlewareStack.remove('outer')).toBe(false)
    calls.length = 0
    await documents.send(new Lean.GetCommand({ TableName: 't', Key: { id: 1 } }))
    expect(calls).toEqual(['inner'])
    // Unnamed, as the SDK names them: by their place.
    client.middlewareStack.add((next) => next)
    expect(client.middlewareStack.identify()).toEqual([
      'inner - initialize',
      'middleware1 - initialize',
    ])
  })

  it("resolves a region's endpoint as the SDK does, the China partition included", async () => {
    for (const region of ['eu-west-1', 'us-gov-west-1', 'cn-north-1', 'cn-northwest-1']) {
      const sdkClient = new DynamoDBClient({ region, credentials })
      const resolved = await sdkClient.config.endpointProvider({ Region: region })
      expect(Lean.regionalEndpoint(region), region).toBe(resolved.url.href.replace(/\/$/, ''))
      sdkClient.destroy()
    }
  })

  it('refuses an object that is no DynamoDB command, naming it', async () => {
    class Stray {
      input = {}
    }
    await expect(lean().send(new Stray())).rejects.toThrow('not a DynamoDB command: Stray')
    class Wrapping {
      input = {}
      clientCommand = null // a DocumentClient command's place, empty
    }
    await expect(lean().send(new Wrapping())).rejects.toThrow('not a DynamoDB command: Wrapping')
  })

  it('takes a null member of an answer as it came, item or not, where the SDK drops it', async () => {
    // DynamoDB sends none; either way the data layer reads it as absent.
    const { sdk: a, lean: b } = await both(
      'QueryCommand',
      {
        TableName: 't',
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': 'p' },
      },
      {
        status: 200,
        body: { Items: [item], Count: 1, LastEvaluatedKey: null, ConsumedCapacity: null },
      },
    )
    expect(withoutMetadata(b.output)).toEqual({
      ...withoutMetadata(a.output),
      LastEvaluatedKey: null,
      ConsumedCapacity: null,
    })
    expect(withoutMetadata(a.output)).not.toHaveProperty('LastEvaluatedKey')
  })
})

describe('what it checks beyond the SDK: the answer intact, the answer in time', () => {
  const input = { TableName: 't', Key: key }
  const changed = { Item: { ...item, id: { N: '7' } } } // one digit off on the way

  it('computes the CRC-32 DynamoDB sends (ISO-HDLC: the check value of "123456789")', () => {
    expect(Lean.crc32(Buffer.from('123456789'))).toBe(0xcbf43926)
    expect(Lean.crc32(Buffer.from(''))).toBe(0)
  })

  it('retries an answer whose x-amz-crc32 does not match its bytes, where the SDK takes it', async () => {
    const { sdk: a, lean: b } = await both('GetCommand', input, {
      status: 200,
      body: { Item: item },
      sent: changed,
    })
    // SDK v3 reads no x-amz-crc32 (v2 and botocore did): it returns what arrived.
    expect(withoutMetadata(a.output)).toMatchObject({ Item: { id: 7 } })
    // The lean transport refused it, and its retry (answered by the stub's default) went out.
    expect(b.requests).toHaveLength(2)
    answers = [
      { status: 200, body: { Item: item }, sent: changed },
      { status: 200, body: { Item: item } },
    ]
    const output = await lean().send(new Lean.GetCommand(input))
    expect(output.Item).toMatchObject({ id: 1 })
    expect(output.$metadata).toMatchObject({ attempts: 2 })
  })

  it('checks error answers too, and gives up after 4 corrupt answers, transient', async () => {
    const corrupt: Answer = { status: 400, body: { __type: 'x#ValidationException' }, sent: {} }
    answers = [corrupt, corrupt, corrupt, corrupt]
    const error = await lean()
      .send(new Lean.GetCommand(input))
      .catch((e: unknown) => e)
    expect(seen).toHaveLength(4)
    expect(error).toMatchObject({
      name: 'CRC32CheckFailed',
      message: 'CRC32 integrity check failed',
    })
    expect(isTransient(error)).toBe(true)
  })

  it('takes an answer without x-amz-crc32 unchecked, as the SDKs that check do', async () => {
    const bare = createServer((_, res) => res.end(JSON.stringify({ Item: item })))
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve))
    const { port } = bare.address() as AddressInfo
    const client = Lean.DynamoDBDocumentClient.from(
      new Lean.DynamoDBClient({
        region: 'eu-west-1',
        endpoint: `http://127.0.0.1:${port}`,
        credentials,
      }),
    )
    try {
      expect((await client.send(new Lean.GetCommand(input))).Item).toMatchObject({ id: 1 })
    } finally {
      client.destroy()
      await new Promise((resolve) => bare.close(resolve))
    }
  })

  it("computes it without node:zlib's too (before Node 22.2), alike", () => {
    const bytes = Buffer.from(JSON.stringify({ Item: item }))
    expect(Lean.tableCrc32(Buffer.from('123456789'))).toBe(0xcbf43926)
    expect(Lean.tableCrc32(bytes)).toBe(Lean.crc32(bytes))
    expect(Lean.tableCrc32(new Uint8Array(0))).toBe(0)
    expect(Lean.tableCrc32(new Uint8Array(256).map((_, n) => 255 - n))).toBe(
      Lean.crc32(new Uint8Array(256).map((_, n) => 255 - n)),
    )
  })

  /** A server of its own answering `answer` to every request; its sockets, as they came. */
  async function serving(
    answer: (res: import('node:http').ServerResponse, n: number) => void,
    maxAttempts?: number,
  ) {
    const sockets: Socket[] = []
    let n = 0
    const own = createServer((req, res) => {
      if (!sockets.includes(req.socket)) sockets.push(req.socket)
      req.resume()
      req.on('end', () => answer(res, n++))
    })
    await new Promise<void>((resolve) => own.listen(0, '127.0.0.1', resolve))
    const client = new Lean.DynamoDBClient({
      region: 'eu-west-1',
      endpoint: `http://127.0.0.1:${(own.address() as AddressInfo).port}`,
      credentials,
      maxAttempts,
    })
    const close = async () => {
      client.destroy()
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => own.close(resolve))
    }
    return { client, sockets, close }
  }

  it('names an error answer without a name by its status, its text as its message', async () => {
    const texts = ['<html>502 Bad Gateway</html>', 'x'.repeat(300), '{}', '{"__type":""}']
    const { client, close } = await serving((res, n) => {
      res.writeHead([502, 500, 400, 403][n % 4] ?? 500)
      res.end(texts[n % 4])
    }, 1)
    try {
      const errors: unknown[] = []
      for (let i = 0; i < 4; i++)
        errors.push(
          await client.send(new DescribeTableCommand({ TableName: 't' })).catch((e: unknown) => e),
        )
      expect(errors).toMatchObject([
        { name: 'InternalServerError', message: texts[0], $metadata: { httpStatusCode: 502 } },
        { name: 'InternalServerError', message: 'x'.repeat(200), $fault: 'server' },
        { name: 'UnknownError', message: 'UnknownError', $fault: 'client' },
        { name: 'UnknownError', $metadata: { httpStatusCode: 403, requestId: undefined } },
      ])
    } finally {
      await close()
    }
  })

  it('keeps its connection for the next call, and closes it when destroyed', async () => {
    const { client, sockets, close } = await serving((res) => res.end('{}'))
    try {
      await client.send(new DescribeTableCommand({ TableName: 't' }))
      await client.send(new DescribeTableCommand({ TableName: 't' }))
      expect(sockets).toHaveLength(1)
      const closed = new Promise((resolve) => sockets[0]?.once('close', () => resolve('closed')))
      client.destroy()
      expect(await Promise.race([closed, sleepMs(2000).then(() => 'open')])).toBe('closed')
    } finally {
      await close()
    }
  })

  it('closes its connection when its DocumentClient is destroyed', async () => {
    const { client, sockets, close } = await serving((res) => res.end('{}'))
    try {
      const documents = Lean.DynamoDBDocumentClient.from(client)
      await documents.send(new Lean.GetCommand({ TableName: 't', Key: key }))
      const closed = new Promise((resolve) => sockets[0]?.once('close', () => resolve('closed')))
      documents.destroy()
      expect(await Promise.race([closed, sleepMs(2000).then(() => 'open')])).toBe('closed')
    } finally {
      await close()
    }
  })

  it('retries an answer cut off in its body (a reset connection)', async () => {
    const { client, close } = await serving((res, n) => {
      if (n > 0) return res.end('{"TableNames":[]}')
      res.writeHead(200, { 'content-length': '100' })
      res.write('{"TableNa')
      setImmediate(() => res.socket?.destroy())
    })
    try {
      const output = await client.send(new DescribeTableCommand({ TableName: 't' }))
      expect(output).toMatchObject({ TableNames: [], $metadata: { attempts: 2 } })
    } finally {
      await close()
    }
  })

  it('retries while its quota holds the cost, to the last token', async () => {
    const unavailable = { status: 503, body: { __type: 'ServiceUnavailable' } }
    const client = new Lean.DynamoDBClient({ region: 'eu-west-1', endpoint: url, credentials })
    client.retryCapacity = 14
    answers = [unavailable, { status: 200, body: {} }]
    const output = await client.send(new DescribeTableCommand({ TableName: 't' }))
    expect(output.$metadata).toMatchObject({ attempts: 2 })
    client.retryCapacity = 13
    answers = [unavailable, { status: 200, body: {} }]
    await expect(client.send(new DescribeTableCommand({ TableName: 't' }))).rejects.toMatchObject({
      name: 'ServiceUnavailable',
    })
    client.destroy()
  })

  const timeoutMs = 150
  // Which limit each attempt armed, not the wall clock: on a loaded machine a timer can
  // fire before its delay by Date.now() (Node dates it from the event loop's cached
  // time) and an attempt answered at once can still take a second. The limit is the
  // socket's own (its idle timeout), so: how many sockets were armed with `ms`.
  let timers: MockInstance<Socket['setTimeout']>
  beforeEach(() => {
    timers = vi.spyOn(Socket.prototype, 'setTimeout')
  })
  afterEach(() => timers.mockRestore())
  const armedFor = (ms: number) =>
    new Set(timers.mock.contexts.filter((_, n) => timers.mock.calls[n]?.[0] === ms)).size
  const leanWithin = () =>
    Lean.DynamoDBDocumentClient.from(
      new Lean.DynamoDBClient({
        region: 'eu-west-1',
        endpoint: url,
        credentials,
        requestTimeoutMs: timeoutMs,
      }),
    )

  it('abandons an attempt unanswered after its timeout and retries it, as the SDK with socketTimeout', async () => {
    answers = ['silent', { status: 200, body: { Item: item } }]
    const output = await leanWithin().send(new Lean.GetCommand(input))
    expect(output.Item).toMatchObject({ id: 1 })
    expect(output.$metadata).toMatchObject({ attempts: 2 })
    expect(armedFor(timeoutMs)).toBe(2) // the silent attempt ended by its own limit
  })

  it('counts the connection in the limit: a TLS handshake never answered is abandoned too', async () => {
    const held: Socket[] = []
    const mute = createNetServer((socket) => held.push(socket))
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve))
    const { port } = mute.address() as AddressInfo
    const client = new Lean.DynamoDBClient({
      region: 'eu-west-1',
      endpoint: `https://127.0.0.1:${port}`,
      credentials,
      requestTimeoutMs: timeoutMs,
      maxAttempts: 2,
    })
    try {
      const error = await client
        .send(new DescribeTableCommand({ TableName: 't' }))
        .catch((e: unknown) => e)
      expect(error).toMatchObject({ name: 'TimeoutError', code: 'ETIMEDOUT' })
      expect(held).toHaveLength(2) // both attempts connected, neither got a handshake
      expect(armedFor(timeoutMs)).toBe(2)
    } finally {
      client.destroy()
      for (const socket of held) socket.destroy()
      await new Promise((resolve) => mute.close(resolve))
    }
  })

  it("spends and refills the SDK's retry quota alike: an outage isn't met with 4 times the calls", async () => {
    const outage = (calls: number) => Array.from({ length: calls * 4 }, () => unavailable)
    const unavailable = { status: 503, body: { __type: 'ServiceUnavailable' } }
    const run = async (send: () => Promise<unknown>) => {
      answers = outage(14)
      seen = []
      for (let call = 0; call < 14; call++) await send().catch(() => undefined)
      const duringOutage = seen.length
      answers = [{ status: 200, body: {} }]
      await send()
      return duringOutage
    }
    const sdkClient = sdk()
    const leanClient = new Lean.DynamoDBClient({ region: 'eu-west-1', endpoint: url, credentials })
    const leanDocuments = Lean.DynamoDBDocumentClient.from(leanClient)
    const a = await run(() => sdkClient.send(new Sdk.GetCommand({ TableName: 't', Key: key })))
    const b = await run(() => leanDocuments.send(new Lean.GetCommand({ TableName: 't', Key: key })))
    // 500 tokens at 14 a retry: 11 calls retried 3 times, the 12th twice, then none.
    expect(b).toBe(11 * 4 + 3 + 1 + 1)
    expect(b).toBe(a)
    expect(leanClient.retryCapacity).toBe(500 - 35 * 14 + 1)
  }, 20_000)

  it('raises the TimeoutError the SDK raises after 4 silent attempts, transient', async () => {
    const run = async (send: () => Promise<unknown>) => {
      answers = ['silent', 'silent', 'silent', 'silent']
      seen = []
      const error = await send().then(
        () => undefined,
        (e: unknown) => e as Error & Record<string, unknown>,
      )
      return { error, requests: seen.length }
    }
    const sdkWithin = Sdk.DynamoDBDocumentClient.from(
      new DynamoDBClient({
        region: 'eu-west-1',
        endpoint: url,
        credentials,
        requestHandler: { socketTimeout: timeoutMs },
      }),
    )
    const a = await run(() => sdkWithin.send(new Sdk.GetCommand(input)))
    const b = await run(() => leanWithin().send(new Lean.GetCommand(input)))
    expect([a.requests, b.requests]).toEqual([4, 4])
    expect(b.error).toMatchObject({
      name: a.error?.name,
      code: 'ETIMEDOUT',
      message: `DynamoDB did not answer within ${timeoutMs} ms`,
    })
    expect([isTransient(a.error), isTransient(b.error)]).toEqual([true, true])
  })

  it('waits REQUEST_TIMEOUT_MS (1 s) an attempt when not told: 4 and their backoff fit 6 s', async () => {
    answers = ['silent', { status: 200, body: { Item: item } }]
    const output = await lean().send(new Lean.GetCommand(input))
    expect(output.$metadata).toMatchObject({ attempts: 2 })
    expect(armedFor(Lean.REQUEST_TIMEOUT_MS)).toBe(2)
    expect(4 * Lean.REQUEST_TIMEOUT_MS).toBeLessThan(6000 - 1000) // room for the backoff
  })
})

describe('its limit counts an attempt from its socket on, not its wait for one', () => {
  // 250 calls at once on the client's 50 sockets (the SDK's default), each answered after
  // `paceMs`: the last wait 4 paces for a socket, longer than an attempt's limit (1 s),
  // while none is silent on the wire for more than a pace. A few stall after their
  // headers, once: those must still be abandoned at the limit and retried.
  const paceMs = 300
  const calls = 250
  const stalls = new Set(['7', '99', '180', '249'])
  const expected = Array.from({ length: calls }, (_, n) =>
    stalls.has(String(n)) ? 'answered in 2 attempts' : 'answered in 1 attempts',
  )

  /** Each call's outcome through a client on the paced server, and the requests it saw. */
  async function burst(getter: (endpoint: string) => (id: string) => Promise<unknown>) {
    const arrived: string[] = []
    const held: Socket[] = []
    const paced = createServer(async (req, res) => {
      const chunks: Buffer[] = []
      for await (const chunk of req) chunks.push(chunk as Buffer)
      const id = String(JSON.parse(Buffer.concat(chunks).toString('utf8')).Key.id.S)
      const again = arrived.includes(id)
      arrived.push(id)
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' })
      if (stalls.has(id) && !again) {
        res.write('{"Item":') // and nothing more
        held.push(req.socket)
        return
      }
      setTimeout(() => res.end(JSON.stringify({ Item: { id: { S: id } } })), paceMs)
    })
    await new Promise<void>((resolve) => paced.listen(0, '127.0.0.1', resolve))
    try {
      const get = getter(`http://127.0.0.1:${(paced.address() as AddressInfo).port}`)
      const outcomes = await Promise.all(
        Array.from({ length: calls }, (_, n) =>
          get(String(n)).then(
            (output) => {
              const { Item, $metadata } = output as {
                Item?: { id?: unknown }
                $metadata?: { attempts?: number }
              }
              const answer = Item?.id === String(n) ? 'answered' : 'wrongly answered'
              return `${answer} in ${$metadata?.attempts} attempts`
            },
            (error: Error & { $metadata?: { attempts?: number } }) =>
              `${error.name} in ${error.$metadata?.attempts ?? '?'} attempts`,
          ),
        ),
      )
      return { outcomes, requests: arrived.length }
    } finally {
      for (const socket of held) socket.destroy()
      await new Promise((resolve) => paced.close(resolve))
    }
  }

  it("leaves the wait for a socket out of the attempt's limit and the retry quota", async () => {
    let client: Lean.DynamoDBClient | undefined
    const { outcomes, requests } = await burst((endpoint) => {
      client = new Lean.DynamoDBClient({ region: 'eu-west-1', endpoint, credentials })
      const documents = Lean.DynamoDBDocumentClient.from(client)
      return (id) => documents.send(new Lean.GetCommand({ TableName: 't', Key: { id } }))
    })
    client?.destroy()
    expect(outcomes).toEqual(expected)
    expect(requests).toBe(calls + stalls.size)
    expect(client?.retryCapacity).toBe(Lean.RETRY_CAPACITY)
  }, 30_000)

  it("as the SDK's socketTimeout does (its requestTimeout and connectionTimeout count the wait)", async () => {
    let client: DynamoDBClient | undefined
    const { outcomes, requests } = await burst((endpoint) => {
      client = new DynamoDBClient({
        region: 'eu-west-1',
        endpoint,
        credentials,
        requestHandler: { socketTimeout: Lean.REQUEST_TIMEOUT_MS },
      })
      const documents = Sdk.DynamoDBDocumentClient.from(client)
      return (id) => documents.send(new Sdk.GetCommand({ TableName: 't', Key: { id } }))
    })
    client?.destroy()
    expect(outcomes).toEqual(expected)
    expect(requests).toBe(calls + stalls.size)
  }, 30_000)
})

describe('its SigV4 signature', () => {
  it("is the SDK signer's, session token included", async () => {
    const creds = { ...credentials, sessionToken: 'session/token+=' }
    const when = new Date('2026-11-25T12:34:56.789Z')
    const body = '{"TableName":"t"}'
    const ours = Lean.signedHeaders(
      { region: 'eu-west-1', credentials: creds },
      'dynamodb.eu-west-1.amazonaws.com',
      'DynamoDB_20120810.GetItem',
      body,
      when,
    )
    const signer = new SignatureV4({
      credentials: creds,
      region: 'eu-west-1',
      service: 'dynamodb',
      sha256: Sha256,
      applyChecksum: false,
    })
    const theirs = await signer.sign(
      {
        method: 'POST',
        protocol: 'https:',
        hostname: 'dynamodb.eu-west-1.amazonaws.com',
        path: '/',
        query: {},
        headers: {
          host: 'dynamodb.eu-west-1.amazonaws.com',
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'DynamoDB_20120810.GetItem',
        },
        body,
      },
      { signingDate: when },
    )
    expect(ours.authorization).toBe(theirs.headers.authorization)
    expect(ours['x-amz-date']).toBe(theirs.headers['x-amz-date'])
    expect(ours['x-amz-security-token']).toBe('session/token+=')
  })

  it("signs with Lambda's environment credentials when given none, and says when they are missing", async () => {
    const saved = { ...process.env }
    try {
      Object.assign(process.env, {
        AWS_ACCESS_KEY_ID: 'AKIDENV',
        AWS_SECRET_ACCESS_KEY: 'env-secret',
        AWS_SESSION_TOKEN: 'env-session',
      })
      const client = Lean.DynamoDBDocumentClient.from(
        new Lean.DynamoDBClient({ region: 'eu-west-1', endpoint: url }),
      )
      await client.send(new Lean.GetCommand({ TableName: 't', Key: key }))
      expect(seen[0]?.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDENV\/\d{8}\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=[0-9a-f]{64}$/,
      )
      expect(seen[0]?.headers['x-amz-security-token']).toBe('env-session')
      delete process.env.AWS_ACCESS_KEY_ID
      await expect(
        client.send(new Lean.GetCommand({ TableName: 't', Key: key })),
      ).rejects.toMatchObject({
        name: 'CredentialsProviderError',
        message: 'Unable to find environment variable credentials.',
      })
      expect(seen).toHaveLength(1) // nothing unsigned left
    } finally {
      process.env = saved
    }
  })
})
