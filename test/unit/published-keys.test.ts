import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms'
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { type JWK, SignJWT } from 'jose'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { awsError } from '../support/aws-errors.js'

/**
 * Service-token keys on AWS: the signer publishes KMS's public keys to the table,
 * verifiers read them from there, so no verifying function holds a KMS client.
 */
const kms = mockClient(KMSClient)
const ddb = mockClient(DynamoDBDocumentClient)
const arn = (id: string) => `arn:aws:kms:eu-west-1:111122223333:key/${id}`
const pair = () => generateKeyPairSync('ec', { namedCurve: 'P-256' })
const keysById: Record<string, ReturnType<typeof pair>> = { 'k-1': pair(), 'k-2': pair() }
const jwkOf = (kid: string, key: KeyObject): JWK => ({
  ...(key.export({ format: 'jwk' }) as JWK),
  kid,
  alg: 'ES256',
  use: 'sig',
})
const tokenFor = (kid: string, privateKey: KeyObject) =>
  new SignJWT({ sub: 'alice', team: 'acme', role: 'admin', jti: 'j' })
    .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
    .setIssuer('latchkey')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(privateKey)

const saved = { ...process.env }
beforeEach(() => {
  vi.resetModules() // the key sources are chosen at module load, from the environment
  kms.reset()
  ddb.reset()
  process.env.JWT_KMS_KEY_ID = arn('k-2')
  process.env.JWT_KMS_PREVIOUS_KEY_IDS = arn('k-1')
})
afterEach(() => {
  process.env = { ...saved }
  vi.useRealTimers()
})

describe('the signer, on AWS', () => {
  const order: string[] = []
  beforeEach(() => {
    order.length = 0
    kms.on(GetPublicKeyCommand).callsFake(async ({ KeyId }: { KeyId: string }) => {
      const id = String(KeyId).split('/').pop() ?? ''
      const key = keysById[id]
      if (!key) throw new Error(`no key ${id}`)
      return { KeyId, PublicKey: key.publicKey.export({ format: 'der', type: 'spki' }) }
    })
    kms.on(SignCommand).callsFake(async ({ Message }: { Message: Uint8Array }) => {
      order.push('sign')
      const key = keysById['k-2']?.privateKey
      return { Signature: key && sign('sha256', Message, { key, dsaEncoding: 'der' }) }
    })
  })

  it('publishes the current and previous public keys before its first signature, once', async () => {
    ddb.on(PutCommand).callsFake(async () => {
      order.push('publish')
      return {}
    })
    const { signJws } = await import('../../shared/keys/jws.js')
    await signJws('JWT', { sub: 'a' })
    await signJws('JWT', { sub: 'b' })
    expect(order).toEqual(['publish', 'sign', 'sign'])
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1)
    const item = ddb.commandCalls(PutCommand)[0]?.args[0].input.Item
    expect(item).toMatchObject({ PK: 'SERVICE', SK: 'JWKS', kind: 'ServiceKeys' })
    const published = item?.keys as JWK[]
    expect(published.map((key) => key.kid)).toEqual(['k-2', 'k-1'])
    for (const key of published) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'])
    }
  })

  it('signs nothing until publishing succeeds, and tries again on the next request', async () => {
    ddb.on(PutCommand).rejectsOnce(new Error('throttled')).resolves({})
    const { signJws } = await import('../../shared/keys/jws.js')
    await expect(signJws('JWT', { sub: 'a' })).rejects.toThrow('throttled')
    expect(order).toEqual([])
    await expect(signJws('JWT', { sub: 'a' })).resolves.toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 2)
    expect(order).toEqual(['sign'])
  })
})

describe('verifiers, on AWS', () => {
  const publish = (...kids: string[]) =>
    ddb.on(GetCommand, { Key: { PK: 'SERVICE', SK: 'JWKS' } }).resolves({
      Item: {
        keys: kids.map((kid) => {
          const key = keysById[kid] ?? pair()
          keysById[kid] = key
          return { ...jwkOf(kid, key.publicKey), d: 'never returned' }
        }),
      },
    })
  /** The verdict on a token no published key verifies (not an outage, not a crash). */
  const noKey = { name: 'InvalidJws', message: 'ERR_JWKS_NO_MATCHING_KEY' }
  const verify = async (token: string) => {
    const { verifyJws } = await import('../../shared/keys/jws.js')
    return verifyJws('JWT', token)
  }

  it('read the published keys once per container and call no KMS', async () => {
    publish('k-2', 'k-1')
    const k1 = keysById['k-1']?.privateKey
    const k2 = keysById['k-2']?.privateKey
    if (!k1 || !k2) throw new Error('test keys missing')
    await expect(verify(await tokenFor('k-2', k2))).resolves.toMatchObject({ sub: 'alice' })
    await expect(verify(await tokenFor('k-1', k1))).resolves.toMatchObject({ sub: 'alice' })
    expect(ddb).toHaveReceivedCommandTimes(GetCommand, 1)
    expect(kms.calls()).toHaveLength(0)
  })

  it('read again for a key they have not seen, at most every 30 seconds', async () => {
    publish('k-2')
    const k2 = keysById['k-2']?.privateKey
    const k3 = pair()
    if (!k2) throw new Error('test keys missing')
    vi.useFakeTimers({ toFake: ['Date'] })
    await verify(await tokenFor('k-2', k2))
    const rotated = await tokenFor('k-3', k3.privateKey)
    keysById['k-3'] = k3
    await expect(verify(rotated)).rejects.toMatchObject(noKey) // unknown, and the keys were just read
    expect(ddb).toHaveReceivedCommandTimes(GetCommand, 1)

    publish('k-3', 'k-2') // a rotation publishes the new key
    vi.setSystemTime(Date.now() + 31_000)
    await expect(verify(rotated)).resolves.toMatchObject({ sub: 'alice' })
    expect(ddb).toHaveReceivedCommandTimes(GetCommand, 2)
    await expect(verify(await tokenFor('made-up', pair().privateKey))).rejects.toMatchObject(noKey)
    expect(ddb).toHaveReceivedCommandTimes(GetCommand, 2) // made-up kids cost no reads
  })

  it('answer an outage reading the keys as 503, not as a bad token', async () => {
    ddb.on(GetCommand).rejects(awsError('ProvisionedThroughputExceededException'))
    const k2 = keysById['k-2']?.privateKey
    if (!k2) throw new Error('test keys missing')
    const { handler } = await import('../../functions/tokens/list.js')
    const { invoke } = await import('../support/invoke.js')
    const token = await tokenFor('k-2', k2)
    const reply = await invoke(handler, { method: 'GET', url: '/api/tokens', token })
    expect(reply.statusCode).toBe(503)
    expect(reply.json.code).toBe('service_offline')
  })

  it('find nothing to trust before anything is published', async () => {
    ddb.on(GetCommand).resolves({})
    const k2 = keysById['k-2']?.privateKey
    if (!k2) throw new Error('test keys missing')
    await expect(verify(await tokenFor('k-2', k2))).rejects.toMatchObject(noKey)
  })
})
