import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms'
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { createLocalJWKSet, type JWTPayload, jwtVerify, SignJWT } from 'jose'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { handler as list } from '../../functions/tokens/list.js'
import { config } from '../../shared/context.js'
import { derToJose, kmsJwtKeys } from '../../shared/keys/kms-jwt-keys.js'
import type { JwtKeyFile } from '../../shared/keys/local-jwt-keys.js'
import { invoke } from '../support/invoke.js'

const ddb = mockClient(DynamoDBDocumentClient)
const keyFile = JSON.parse(readFileSync(config().jwt.keyFile ?? '', 'utf8')) as JwtKeyFile
const privateKey = createPrivateKey({ key: keyFile.current.privateKey as never, format: 'jwk' })
const now = () => Math.floor(Date.now() / 1000)
const claims = () => ({
  iss: 'latchkey',
  sub: 'alice',
  team: 'acme',
  role: 'admin',
  jti: 'j1',
  iat: now(),
  exp: now() + 3600,
})

const signWith = (
  key: Parameters<SignJWT['sign']>[0],
  header: Record<string, unknown>,
  payload: JWTPayload = claims(),
) =>
  new SignJWT(payload)
    .setProtectedHeader({ alg: 'ES256', kid: keyFile.current.kid, typ: 'JWT', ...header })
    .sign(key)

const listWith = (token: string) => invoke(list, { method: 'GET', url: '/api/tokens', token })

beforeEach(() => {
  ddb.reset()
  ddb.on(QueryCommand).resolves({ Items: [] })
})

describe('service bearer tokens in the authentication middleware', () => {
  it('accepts a valid token with no database call for authentication', async () => {
    const reply = await listWith(await signWith(privateKey, {}))
    expect(reply.statusCode).toBe(200)
    expect(ddb).toHaveReceivedCommandTimes(GetCommand, 0)
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      ExpressionAttributeValues: { ':pk': 'TEAM#acme#USER#alice', ':prefix': 'PAT#' },
    })
  })

  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const attacks: [string, () => Promise<string>][] = [
    [
      'alg none',
      async () => `${encode({ alg: 'none', kid: keyFile.current.kid })}.${encode(claims())}.`,
    ],
    [
      'HS256 keyed with the public key',
      async () => {
        const publicPem = createPublicKey(privateKey).export({ format: 'pem', type: 'spki' })
        return signWith(new TextEncoder().encode(String(publicPem)), { alg: 'HS256' })
      },
    ],
    [
      'a tampered payload',
      async () => {
        const [h, , s] = (await signWith(privateKey, {})).split('.')
        return `${h}.${encode({ ...claims(), role: 'admin', team: 'other' })}.${s}`
      },
    ],
    [
      'an expired token',
      () => signWith(privateKey, {}, { ...claims(), iat: now() - 7200, exp: now() - 3600 }),
    ],
    ['an unknown kid', () => signWith(privateKey, { kid: 'not-a-key' })],
    ['another issuer', () => signWith(privateKey, {}, { ...claims(), iss: 'evil' })],
    [
      'a missing role claim',
      () => {
        const { role, ...rest } = claims()
        return new SignJWT(rest)
          .setProtectedHeader({ alg: 'ES256', kid: keyFile.current.kid, typ: 'JWT' })
          .sign(privateKey)
      },
    ],
    // A list cursor is signed by the same key; its `typ` keeps it from passing as a bearer.
    ['a list cursor (typ cursor)', () => signWith(privateKey, { typ: 'cursor' })],
    ['no typ at all', () => signWith(privateKey, { typ: undefined })],
    ['a role that does not exist', () => signWith(privateKey, {}, { ...claims(), role: 'root' })],
    // Only a key holder can make these; refused anyway (issue 16).
    [
      'an iat a day in the future',
      () =>
        signWith(privateKey, {}, { ...claims(), iat: now() + 86_400, exp: now() + 86_400 + 3600 }),
    ],
    ['an iat 61 s in the future', () => signWith(privateKey, {}, { ...claims(), iat: now() + 61 })],
    [
      'a token that lives ten years',
      () => signWith(privateKey, {}, { ...claims(), exp: now() + 10 * 365 * 86_400 }),
    ],
    [
      'exp - iat one second over the hour',
      () => signWith(privateKey, {}, { ...claims(), exp: now() + 3601 }),
    ],
    ['an nbf not yet reached', () => signWith(privateKey, {}, { ...claims(), nbf: now() + 120 })],
    [
      'an iat that is not a number',
      () => signWith(privateKey, {}, { ...claims(), iat: 'now' as never }),
    ],
    [
      'a key that is not ours (same kid)',
      () => signWith(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, {}),
    ],
  ]

  describe('at a clock that stands still', () => {
    // The clock stands still while a token is made and checked: the 59 s and 61 s cases
    // sit a second from the 60 s tolerance, and a second boundary crossed between signing
    // and checking once let the 61 s one pass.
    beforeEach(() => {
      vi.useFakeTimers({ toFake: ['Date'] })
      vi.setSystemTime(Date.now())
    })
    afterEach(() => vi.useRealTimers())

    it.each([
      ['an iat 59 s ahead (clock skew)', () => ({ iat: now() + 59, exp: now() + 59 + 3600 })],
      ['an nbf already passed', () => ({ nbf: now() - 10 })],
      ['an exp exactly an hour after iat', () => ({ exp: now() + 3600 })],
    ])('accepts %s', async (_, extra) => {
      const reply = await listWith(await signWith(privateKey, {}, { ...claims(), ...extra() }))
      expect(reply.statusCode).toBe(200)
    })

    it.each(attacks)('rejects %s with the same 401 and no database call', async (_, make) => {
      const reply = await listWith(await make())
      expect(reply.statusCode).toBe(401)
      expect(reply.json.code).toBe('authentication_error')
      expect(ddb.calls()).toHaveLength(0)
    })
  })
})

describe('verified tokens, remembered per container', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('stop being accepted the moment they expire', async () => {
    const token = await signWith(privateKey, {}, { ...claims(), exp: now() + 60 })
    expect((await listWith(token)).statusCode).toBe(200)
    expect((await listWith(token)).statusCode).toBe(200) // from memory
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 61_000)
    const reply = await listWith(token)
    expect(reply.statusCode).toBe(401)
    expect(reply.json.code).toBe('authentication_error')
  })

  it('let no token through that differs from a verified one in any byte', async () => {
    const token = await signWith(privateKey, {}, { ...claims(), jti: 'remembered' })
    expect((await listWith(token)).statusCode).toBe(200)
    const [h, p, sig = ''] = token.split('.')
    const flipped = `${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`
    const variants = [`${h}.${p}.${flipped}`, `${token}A`, ` ${token}`.trim().slice(1)]
    for (const variant of variants) {
      expect((await listWith(variant)).statusCode, variant).toBe(401)
    }
  })
})

describe('KMS signing', () => {
  it('converts DER ECDSA signatures to the 64-byte JWS form', () => {
    const { privateKey: key, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    for (let i = 0; i < 50; i++) {
      const data = Buffer.from(`message ${i}`)
      const der = sign('sha256', data, { key, dsaEncoding: 'der' })
      const raw = derToJose(der)
      expect(raw).toHaveLength(64)
      expect(verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, raw)).toBe(true)
    }
  })

  it('signs through KMS and publishes keys that jose verifies, fetching them once', async () => {
    const { privateKey: key, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const kms = mockClient(KMSClient)
    kms.on(SignCommand).callsFake((input) => ({
      Signature: sign('sha256', input.Message, { key, dsaEncoding: 'der' }),
    }))
    kms.on(GetPublicKeyCommand).resolves({
      KeyId: 'arn:aws:kms:eu-west-1:1:key/k-1',
      PublicKey: publicKey.export({ format: 'der', type: 'spki' }),
    })
    const source = kmsJwtKeys(
      new KMSClient({ region: 'eu-west-1' }),
      'arn:aws:kms:eu-west-1:1:key/k-1',
      [],
    )
    const signer = await source.signer()
    const input = `${Buffer.from(JSON.stringify({ alg: 'ES256', kid: signer.kid })).toString('base64url')}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}`
    const jwt = `${input}.${Buffer.from(await signer.sign(Buffer.from(input))).toString('base64url')}`
    const keys = await source.publicKeys()
    await source.publicKeys()
    expect(keys[0]?.kid).toBe('k-1')
    const { payload } = await jwtVerify(jwt, createLocalJWKSet({ keys }), { algorithms: ['ES256'] })
    expect(payload.sub).toBe('alice')
    expect(kms).toHaveReceivedCommandWith(SignCommand, {
      MessageType: 'RAW',
      SigningAlgorithm: 'ECDSA_SHA_256',
    })
    expect(kms).toHaveReceivedCommandTimes(GetPublicKeyCommand, 1)
  })
})

describe('local key rotation', () => {
  it('keeps the previous key verifiable and signs with the new one', async () => {
    const { mkdtemp } = await import('node:fs/promises')
    const { tmpdir } = await import('node:os')
    const { localJwtKeys, writeJwtKeyFile } = await import('../../shared/keys/local-jwt-keys.js')
    const path = `${await mkdtemp(`${tmpdir()}/rotate-`)}/keys.json`
    const first = await writeJwtKeyFile(path)
    const oldToken = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'ES256', kid: first.current.kid })
      .sign(createPrivateKey({ key: first.current.privateKey as never, format: 'jwk' }))
    const second = await writeJwtKeyFile(path, first)
    const keys = localJwtKeys(path)
    expect((await keys.signer()).kid).toBe(second.current.kid)
    const published = await keys.publicKeys()
    expect(published.map((k) => k.kid)).toEqual([second.current.kid, first.current.kid])
    expect(published.every((k) => k.d === undefined)).toBe(true) // never the private part
    await expect(jwtVerify(oldToken, createLocalJWKSet({ keys: published }))).resolves.toBeTruthy()
  })
})
