import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Sha256 } from '@aws-crypto/sha256-js'
import * as SdkEvents from '@aws-sdk/client-eventbridge'
import * as SdkKms from '@aws-sdk/client-kms'
import { SignatureV4 } from '@smithy/signature-v4'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import * as LeanEvents from '../../shared/aws/lean-eventbridge.js'
import { signJsonPost, toJsonWire } from '../../shared/aws/lean-json.js'
import * as LeanKms from '../../shared/aws/lean-kms.js'

/**
 * The lean KMS and EventBridge clients (shared/aws/lean-kms.ts, lean-eventbridge.ts, on
 * the core lean-dynamodb.ts shares) against the SDK clients they stand in for in every
 * bundle: a local HTTP stub records what each sends and answers both alike, so the
 * request (method, path, target, content type, body, signature), the outputs (blobs as
 * Uint8Array), the errors and the retries can be compared exactly.
 */
type LeanCommand = InstanceType<typeof LeanKms.SignCommand>
type Answer = { status: number; body: unknown; headers?: Record<string, string> } | 'reset'
interface Seen {
  method: string
  path: string
  headers: IncomingMessage['headers']
  text: string
}

let server: Server
let url = ''
let answers: Answer[] = []
let seen: Seen[] = []

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    seen.push({
      method: String(req.method),
      path: String(req.url),
      headers: req.headers,
      text: Buffer.concat(chunks).toString('utf8'),
    })
    const answer = answers.shift() ?? { status: 200, body: {} }
    if (answer === 'reset') {
      req.socket.destroy()
      return
    }
    res.writeHead(answer.status, {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-requestid': 'stub-request',
      ...answer.headers,
    })
    res.end(JSON.stringify(answer.body))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise((resolve) => server.close(resolve)))
afterEach(() => {
  answers = []
  seen = []
})

const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' }
const config = () => ({ region: 'eu-west-1', endpoint: url, credentials })

type Outcome = { value: Record<string, unknown> } | { error: Error & Record<string, unknown> }

/** Sends through one client, answered `given` in turn: what it sent and what it got. */
async function run(send: () => Promise<unknown>, given: Answer[]) {
  answers = [...given]
  seen = []
  const output: Outcome = await send().then(
    (value) => ({ value: value as Record<string, unknown> }),
    (error: Error & Record<string, unknown>) => ({ error }),
  )
  return { output, requests: seen }
}

/** What the two requests must share: everything but the SDK's own bookkeeping headers. */
const wire = (r: Seen) => ({
  method: r.method,
  path: r.path,
  target: r.headers['x-amz-target'],
  contentType: r.headers['content-type'],
  body: JSON.parse(r.text),
})

const withoutMetadata = (output: Outcome) => {
  if (!('value' in output)) throw output.error
  const { $metadata, ...rest } = output.value
  return rest
}

const bytes = (text: string) => new Uint8Array(Buffer.from(text))
const b64 = (text: string) => Buffer.from(text).toString('base64')

/** KMS commands as shared/keys uses them, each with an answer of KMS's shape. */
const kmsCases: [string, () => [object, object], unknown][] = [
  [
    'Sign',
    () => {
      const input = {
        KeyId: 'alias/latchkey-jwt',
        Message: bytes('header.payload'),
        MessageType: 'RAW',
        SigningAlgorithm: 'ECDSA_SHA_256',
      }
      return [
        new SdkKms.SignCommand(input as SdkKms.SignCommandInput),
        new LeanKms.SignCommand(input),
      ]
    },
    {
      KeyId: 'arn:aws:kms:eu-west-1:1:key/k',
      Signature: b64('der'),
      SigningAlgorithm: 'ECDSA_SHA_256',
    },
  ],
  [
    'GetPublicKey',
    () => {
      const input = { KeyId: 'key-1' }
      return [new SdkKms.GetPublicKeyCommand(input), new LeanKms.GetPublicKeyCommand(input)]
    },
    {
      KeyId: 'arn:aws:kms:eu-west-1:1:key/key-1',
      PublicKey: b64('spki bytes'),
      KeySpec: 'ECC_NIST_P256',
      KeyUsage: 'SIGN_VERIFY',
      SigningAlgorithms: ['ECDSA_SHA_256'],
    },
  ],
  [
    'GenerateDataKey',
    () => {
      const input = {
        KeyId: 'key-1',
        KeySpec: 'AES_256',
        EncryptionContext: { purpose: 'latchkey-seal' },
      }
      return [
        new SdkKms.GenerateDataKeyCommand(input as SdkKms.GenerateDataKeyCommandInput),
        new LeanKms.GenerateDataKeyCommand(input),
      ]
    },
    { KeyId: 'key-1', Plaintext: b64('p'.repeat(32)), CiphertextBlob: b64('sealed key') },
  ],
  [
    'Decrypt',
    () => {
      const input = {
        CiphertextBlob: Buffer.from('sealed key'),
        EncryptionContext: { purpose: 'latchkey-seal' },
        KeyId: 'key-1',
      }
      return [new SdkKms.DecryptCommand(input), new LeanKms.DecryptCommand(input)]
    },
    { KeyId: 'key-1', Plaintext: b64('p'.repeat(32)), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' },
  ],
]

describe('the lean KMS client, against the SDK it replaces', () => {
  const sdk = () => new SdkKms.KMSClient(config())
  const lean = () => new LeanKms.KMSClient(config())

  it.each(kmsCases)(
    '%s: the same request on the wire and the same output',
    async (_, commands, body) => {
      const [sdkCommand, leanCommand] = commands()
      const answer = { status: 200, body }
      const a = await run(() => sdk().send(sdkCommand as SdkKms.SignCommand), [answer])
      const b = await run(() => lean().send(leanCommand as LeanCommand), [answer])
      expect(b.requests.map(wire)).toEqual(a.requests.map(wire))
      expect(wire(b.requests[0] as Seen)).toMatchObject({
        method: 'POST',
        path: '/',
        target: `TrentService.${_}`,
        contentType: 'application/x-amz-json-1.1',
      })
      const [x, y] = [withoutMetadata(a.output), withoutMetadata(b.output)]
      expect(y).toEqual(x)
      // Blobs are Uint8Array as the SDK gives them, not Buffers nor base64.
      for (const [name, value] of Object.entries(x))
        if (value instanceof Uint8Array) expect(y[name]?.constructor, name).toBe(Uint8Array)
    },
  )

  const failures: [string, number, Record<string, unknown>][] = [
    ['KMSInvalidStateException', 400, { __type: 'KMSInvalidStateException', message: 'disabled' }],
    ['NotFoundException', 400, { __type: 'NotFoundException', message: 'no key' }],
    ['AccessDeniedException', 400, { __type: 'AccessDeniedException', Message: 'not allowed' }],
    ['InvalidCiphertextException', 400, { __type: 'InvalidCiphertextException' }],
  ]

  it.each(failures)('raises %s as the SDK does, once', async (_, status, body) => {
    const input = { CiphertextBlob: bytes('x'), KeyId: 'key-1' }
    const a = await run(() => sdk().send(new SdkKms.DecryptCommand(input)), [{ status, body }])
    const b = await run(() => lean().send(new LeanKms.DecryptCommand(input)), [{ status, body }])
    const [x, y] = [a.output, b.output].map((o) => ('error' in o ? o.error : undefined))
    expect(y).toBeInstanceOf(LeanKms.KMSServiceException)
    expect(x).toBeInstanceOf(SdkKms.KMSServiceException)
    expect(y?.name).toBe(x?.name)
    expect(y?.message).toBe(x?.message)
    expect(y?.$fault).toBe(x?.$fault)
    expect(y?.$metadata).toMatchObject({
      httpStatusCode: status,
      requestId: 'stub-request',
      attempts: 1,
    })
    expect([a.requests.length, b.requests.length]).toEqual([1, 1])
  })

  it('names an error from x-amzn-errortype when the body has none, as the SDK does', async () => {
    const answer = {
      status: 400,
      body: { message: 'bad' },
      headers: { 'x-amzn-errortype': 'DisabledException:http://internal.amazon.com/' },
    }
    const input = { KeyId: 'key-1' }
    const a = await run(() => sdk().send(new SdkKms.GetPublicKeyCommand(input)), [answer])
    const b = await run(() => lean().send(new LeanKms.GetPublicKeyCommand(input)), [answer])
    const names = [a.output, b.output].map((o) => ('error' in o ? o.error.name : 'none'))
    expect(names).toEqual(['DisabledException', 'DisabledException'])
  })

  it('retries throttling as the SDK does, and succeeds on the next attempt', async () => {
    const throttled = { status: 400, body: { __type: 'ThrottlingException', message: 'slow' } }
    const ok = { status: 200, body: kmsCases[0]?.[2] }
    const input = { KeyId: 'k', Message: bytes('m'), SigningAlgorithm: 'ECDSA_SHA_256' } as const
    const a = await run(() => sdk().send(new SdkKms.SignCommand(input)), [throttled, ok])
    const b = await run(() => lean().send(new LeanKms.SignCommand(input)), [throttled, ok])
    expect([a.requests.length, b.requests.length]).toEqual([2, 2])
    expect(withoutMetadata(b.output)).toEqual(withoutMetadata(a.output))
    expect('value' in b.output && b.output.value.$metadata).toMatchObject({ attempts: 2 })
  }, 10_000)

  it("gives up after the SDK's 3 attempts at KMS (not DynamoDB's 4), with the SDK's error", async () => {
    const fault = { status: 500, body: { __type: 'KMSInternalException', message: 'oops' } }
    const input = { KeyId: 'key-1' }
    const faults = [fault, fault, fault, fault]
    const a = await run(() => sdk().send(new SdkKms.GetPublicKeyCommand(input)), faults)
    const b = await run(() => lean().send(new LeanKms.GetPublicKeyCommand(input)), faults)
    expect([a.requests.length, b.requests.length]).toEqual([3, 3])
    const [x, y] = [a.output, b.output].map((o) => ('error' in o ? o.error : undefined))
    expect(y).toMatchObject({ name: x?.name, message: x?.message, $fault: 'server' })
    expect(y?.$metadata).toMatchObject({ httpStatusCode: 500, attempts: 3 })
  })

  it('retries a connection reset', async () => {
    const body = kmsCases[1]?.[2]
    const b = await run(
      () => lean().send(new LeanKms.GetPublicKeyCommand({ KeyId: 'key-1' })),
      ['reset', { status: 200, body }],
    )
    expect(b.requests).toHaveLength(2)
    expect(withoutMetadata(b.output)).toMatchObject({ KeyId: 'arn:aws:kms:eu-west-1:1:key/key-1' })
  })

  it('refuses an object that is no lean KMS command, naming it', async () => {
    class Stray {
      input = {}
    }
    await expect(lean().send(new Stray() as unknown as LeanCommand)).rejects.toThrow(
      'not a lean KMS command: Stray',
    )
    // Nor does an object without a prototype crash it on the way to saying so.
    await expect(lean().send(Object.create(null))).rejects.toThrow(
      'not a lean KMS command: undefined',
    )
    expect(seen).toHaveLength(0)
  })
})

describe('the lean EventBridge client, against the SDK it replaces', () => {
  const sdk = () => new SdkEvents.EventBridgeClient(config())
  const lean = () => new LeanEvents.EventBridgeClient(config())
  // As shared/events/eventbridge-sink.ts builds them: Time a Date (with and without ms).
  const input = {
    Entries: [
      {
        EventBusName: 'latchkey-bus',
        Source: 'latchkey',
        DetailType: 'token.created',
        Time: new Date('2026-11-25T12:34:56.789Z'),
        Detail: JSON.stringify({ team: 'acme', event_id: 'e1' }),
      },
      {
        EventBusName: 'latchkey-bus',
        Source: 'latchkey',
        DetailType: 'token.revoked',
        Time: new Date('2026-11-25T12:34:57Z'),
        Detail: '{}',
      },
    ],
  }
  const accepted = {
    FailedEntryCount: 1,
    Entries: [{ EventId: 'ev-1' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow' }],
  }

  it('PutEvents: the same request on the wire and the same output', async () => {
    const answer = { status: 200, body: accepted }
    const a = await run(() => sdk().send(new SdkEvents.PutEventsCommand(input)), [answer])
    const b = await run(() => lean().send(new LeanEvents.PutEventsCommand(input)), [answer])
    expect(b.requests.map(wire)).toEqual(a.requests.map(wire))
    expect(wire(b.requests[0] as Seen)).toMatchObject({
      method: 'POST',
      path: '/',
      target: 'AWSEvents.PutEvents',
      contentType: 'application/x-amz-json-1.1',
    })
    // Epoch seconds, fractions kept: what EventBridge reads as the event's time.
    expect(JSON.parse(b.requests[0]?.text ?? '{}').Entries[0].Time).toBe(1795610096.789)
    expect(withoutMetadata(b.output)).toEqual(withoutMetadata(a.output))
  })

  it('raises an error as the SDK does, and retries 5xx up to its 3 attempts', async () => {
    const missing = {
      status: 400,
      body: {
        __type: 'ResourceNotFoundException',
        message: 'Event bus latchkey-bus does not exist.',
      },
    }
    const a = await run(() => sdk().send(new SdkEvents.PutEventsCommand(input)), [missing])
    const b = await run(() => lean().send(new LeanEvents.PutEventsCommand(input)), [missing])
    const [x, y] = [a.output, b.output].map((o) => ('error' in o ? o.error : undefined))
    expect(y).toBeInstanceOf(LeanEvents.EventBridgeServiceException)
    expect(y).toMatchObject({ name: x?.name, message: x?.message, $fault: 'client' })
    expect([a.requests.length, b.requests.length]).toEqual([1, 1])

    const fault = { status: 503, body: { __type: 'InternalException' } }
    const faults = [fault, fault, fault, fault]
    const c = await run(() => sdk().send(new SdkEvents.PutEventsCommand(input)), faults)
    const d = await run(() => lean().send(new LeanEvents.PutEventsCommand(input)), faults)
    expect([c.requests.length, d.requests.length]).toEqual([3, 3])
    const [z, w] = [c.output, d.output].map((o) => ('error' in o ? o.error : undefined))
    expect(w).toMatchObject({ name: z?.name, $fault: 'server' })
  })

  it('refuses a global endpoint (EndpointId: SigV4a) rather than sign it wrongly', async () => {
    await expect(
      lean().send(new LeanEvents.PutEventsCommand({ ...input, EndpointId: 'abc.xyz' })),
    ).rejects.toThrow('SigV4a')
    expect(seen).toHaveLength(0)
  })

  it('refuses any other command, naming it', async () => {
    await expect(
      lean().send(new LeanKms.SignCommand({}) as LeanEvents.PutEventsCommand),
    ).rejects.toThrow(new TypeError('not a lean EventBridge command: '))
    await expect(lean().send(Object.create(null))).rejects.toThrow(
      'not a lean EventBridge command: undefined',
    )
    expect(seen).toHaveLength(0)
  })
})

describe('their wire form of an input', () => {
  it('writes blobs base64 and dates in epoch seconds, drops undefined members, keeps the rest', () => {
    const wire = toJsonWire({
      KeyId: 'alias/k',
      Plaintext: new Uint8Array([1, 2, 255]),
      Time: new Date('2026-11-25T12:34:56.789Z'),
      Context: { a: 'x', gone: undefined, none: null },
      List: [1, null, 'b', new Uint8Array([0])],
      Unset: undefined,
    })
    expect(wire).toStrictEqual({
      KeyId: 'alias/k',
      Plaintext: 'AQL/',
      Time: 1795610096.789,
      Context: { a: 'x', none: null },
      List: [1, null, 'b', 'AA=='],
    })
  })
})

describe('their endpoints and SigV4 signatures', () => {
  it("resolve a region's endpoint as the SDK does, the China partition included", async () => {
    for (const region of ['eu-west-1', 'us-gov-west-1', 'cn-north-1', 'ap-southeast-4']) {
      for (const [Sdk, Lean, host] of [
        [SdkKms.KMSClient, LeanKms.KMSClient, 'kms'],
        [SdkEvents.EventBridgeClient, LeanEvents.EventBridgeClient, 'events'],
      ] as const) {
        const sdkClient = new Sdk({ region, credentials })
        const resolved = await sdkClient.config.endpointProvider({ Region: region })
        const lean = new Lean({ region, credentials })
        // The lean client's URL, read where it keeps it.
        const leanUrl = String(Reflect.get(lean, 'url')).replace(/\/$/, '')
        expect(leanUrl, `${host} ${region}`).toBe(resolved.url.href.replace(/\/$/, ''))
        sdkClient.destroy()
        lean.destroy()
      }
    }
  })

  it.each([
    ['kms', 'TrentService.Sign'],
    ['events', 'AWSEvents.PutEvents'],
  ])(
    "sign a %s request as the SDK's signer does, session token included",
    async (service, target) => {
      const creds = { ...credentials, sessionToken: 'session/token+=' }
      const when = new Date('2026-11-25T12:34:56.789Z')
      const body = '{"KeyId":"k"}'
      const host = `${service}.eu-west-1.amazonaws.com`
      const ours = signJsonPost(
        { signingName: service, jsonVersion: '1.1' },
        { region: 'eu-west-1', credentials: creds },
        host,
        target,
        body,
        when,
      )
      const signer = new SignatureV4({
        credentials: creds,
        region: 'eu-west-1',
        service,
        sha256: Sha256,
        applyChecksum: false,
      })
      const theirs = await signer.sign(
        {
          method: 'POST',
          protocol: 'https:',
          hostname: host,
          path: '/',
          query: {},
          headers: { host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
          body,
        },
        { signingDate: when },
      )
      expect(ours.authorization).toBe(theirs.headers.authorization)
      expect(ours['x-amz-date']).toBe(theirs.headers['x-amz-date'])
      expect(ours['content-type']).toBe('application/x-amz-json-1.1')
    },
  )

  it('send requests whose signature the SDK signer reproduces from what arrived', async () => {
    const b = await run(
      () => new LeanKms.KMSClient(config()).send(new LeanKms.GetPublicKeyCommand({ KeyId: 'k' })),
      [{ status: 200, body: {} }],
    )
    const got = b.requests[0] as Seen
    const amzDate = String(got.headers['x-amz-date'])
    const when = new Date(
      amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
    )
    const signer = new SignatureV4({
      credentials,
      region: 'eu-west-1',
      service: 'kms',
      sha256: Sha256,
      applyChecksum: false,
    })
    const host = String(got.headers.host)
    const theirs = await signer.sign(
      {
        method: got.method,
        protocol: 'http:',
        hostname: host.split(':')[0] ?? host,
        path: got.path,
        query: {},
        headers: {
          host,
          'content-type': String(got.headers['content-type']),
          'x-amz-target': String(got.headers['x-amz-target']),
        },
        body: got.text,
      },
      { signingDate: when },
    )
    expect(got.headers.authorization).toBe(theirs.headers.authorization)
  })
})
