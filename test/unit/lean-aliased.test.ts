import { createSign, createVerify, generateKeyPairSync } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { EventBridgeClient } from '@aws-sdk/client-eventbridge'
import { KMSClient } from '@aws-sdk/client-kms'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import * as LeanEvents from '../../shared/aws/lean-eventbridge.js'
import * as LeanKms from '../../shared/aws/lean-kms.js'
import { eventBridgeSink } from '../../shared/events/eventbridge-sink.js'
import type { DomainEvent } from '../../shared/events/events.js'
import { kmsJwtKeys } from '../../shared/keys/kms-jwt-keys.js'
import { kmsSealer } from '../../shared/keys/kms-sealer.js'

/**
 * The key sources and the event sink as a bundle runs them: with the SDK's KMS and
 * EventBridge modules replaced by the lean clients, as the stack's esbuild aliases
 * replace them (infra/constructs/bundling.ts), against a stub answering as KMS and
 * EventBridge do. lean-kms-eventbridge.test.ts compares the clients with the SDK; this
 * checks that Latchkey's own code reads what they return (blobs, entries) as it reads
 * the SDK's.
 */
vi.mock('@aws-sdk/client-kms', () => import('../../shared/aws/lean-kms.js'))
vi.mock('@aws-sdk/client-eventbridge', () => import('../../shared/aws/lean-eventbridge.js'))

interface Seen {
  target: string
  text: string
}
let server: Server
let url = ''
let answers: unknown[] = []
let seen: Seen[] = []

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    seen.push({
      target: String(req.headers['x-amz-target']),
      text: Buffer.concat(chunks).toString('utf8'),
    })
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
    res.end(JSON.stringify(answers.shift() ?? {}))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise((resolve) => server.close(resolve)))

const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' }
const config = () => ({ region: 'eu-west-1', endpoint: url, credentials })
const b64 = (text: string) => Buffer.from(text).toString('base64')

/** Runs `send` with the stub answering `given` in turn: what it returned and what was sent. */
async function run<T>(send: () => Promise<T>, given: unknown[]) {
  answers = [...given]
  seen = []
  const value = await send()
  return { value, requests: seen }
}
const bodyOf = (r: Seen | undefined) => JSON.parse(r?.text ?? '{}')

describe("Latchkey's own KMS and EventBridge code, run on the lean clients as bundled", () => {
  it("imports the lean clients in the SDK's place, as a bundle does", () => {
    expect(KMSClient).toBe(LeanKms.KMSClient)
    expect(EventBridgeClient).toBe(LeanEvents.EventBridgeClient)
  })

  const kms = () => new KMSClient(config())

  it('seals with a data key from GenerateDataKey and opens it again through Decrypt', async () => {
    const plain = Buffer.alloc(32, 7).toString('base64')
    const context = { team: 'acme', id: 'et-1' }
    const sealed = await run(
      () => kmsSealer(kms(), 'key-1').seal('enrollment secret', context),
      [{ KeyId: 'key-1', Plaintext: plain, CiphertextBlob: b64('wrapped') }],
    )
    expect(sealed.requests[0]?.target).toBe('TrentService.GenerateDataKey')
    // A new container: the data key is asked of KMS, its wrapped bytes sent back as base64.
    const opened = await run(
      () => kmsSealer(kms(), 'key-1').unseal(sealed.value, context),
      [{ KeyId: 'key-1', Plaintext: plain }],
    )
    expect(opened.value).toBe('enrollment secret')
    expect(bodyOf(opened.requests[0])).toMatchObject({ CiphertextBlob: b64('wrapped') })
  })

  it('signs a JWS with KMS (DER to r||s) and publishes the public key KMS holds', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const der = createSign('sha256').update('header.payload').sign(privateKey)
    const keys = kmsJwtKeys(kms(), 'arn:aws:kms:eu-west-1:1:key/key-1', [])
    const signed = await run(
      async () => (await keys.signer()).sign(new TextEncoder().encode('header.payload')),
      [{ Signature: der.toString('base64') }],
    )
    const jose = signed.value
    expect(jose).toHaveLength(64)
    expect(
      createVerify('sha256')
        .update('header.payload')
        .verify({ key: publicKey, dsaEncoding: 'ieee-p1363' }, jose),
    ).toBe(true)
    expect(bodyOf(signed.requests[0]).Message).toBe(b64('header.payload'))
    const spki = publicKey.export({ format: 'der', type: 'spki' }).toString('base64')
    const published = await run(() => keys.publicKeys(), [{ PublicKey: spki }])
    expect(published.value).toMatchObject([
      { ...publicKey.export({ format: 'jwk' }), kid: 'key-1', alg: 'ES256' },
    ])
  })

  it('publishes events and reads each entry’s outcome from the answer', async () => {
    const sink = eventBridgeSink(new EventBridgeClient(config()), 'latchkey-bus')
    const event = (id: string): DomainEvent => ({
      id,
      type: 'ProjectCreated',
      time: '2026-11-25T12:34:56.789Z',
      detail: { team: 'acme', actor: 'ann', project: 'p' },
    })
    const sent = await run(
      () => sink.put([event('e1'), event('e2'), event('e3')]),
      [
        {
          FailedEntryCount: 2,
          Entries: [
            { EventId: 'ev-1' },
            { ErrorCode: 'ThrottlingException' },
            { ErrorCode: 'MalformedDetail' },
          ],
        },
      ],
    )
    expect(sent.value).toEqual(['accepted', 'retryable', 'rejected'])
    expect(bodyOf(sent.requests[0]).Entries[0]).toEqual({
      EventBusName: 'latchkey-bus',
      Source: 'latchkey',
      DetailType: 'ProjectCreated',
      Time: 1795610096.789,
      Detail: JSON.stringify({
        team: 'acme',
        actor: 'ann',
        project: 'p',
        event_id: 'e1',
        time: '2026-11-25T12:34:56.789Z',
      }),
    })
  })
})
