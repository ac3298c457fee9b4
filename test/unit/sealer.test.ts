import { randomBytes } from 'node:crypto'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, describe, expect, it } from 'vitest'
import { kmsSealer } from '../../shared/keys/kms-sealer.js'
import { localSealer, writeSealKeyFile } from '../../shared/keys/local-sealer.js'

const kms = mockClient(KMSClient)
const KEY = 'arn:aws:kms:eu-west-1:111122223333:key/seal'
const context = { team: 'acme', project: 'web', id: 'a' }
/** AES-GCM's verdict on a value whose ciphertext, tag or context is not what was sealed. */
const notAuthentic = /unable to authenticate data/

/** A fake KMS: data keys are random; "encrypting" one is prefixing it, so Decrypt can undo it. */
function fakeKms() {
  kms.on(GenerateDataKeyCommand).callsFake(async () => {
    const plain = randomBytes(32)
    return { Plaintext: plain, CiphertextBlob: Buffer.concat([Buffer.from('edk:'), plain]) }
  })
  kms.on(DecryptCommand).callsFake(async ({ CiphertextBlob }) => ({
    Plaintext: Buffer.from(CiphertextBlob).subarray(4),
  }))
}

beforeEach(() => kms.reset())

describe('KMS sealer (envelope encryption)', () => {
  it('asks KMS for one data key per container, with an encryption context', async () => {
    fakeKms()
    const sealer = kmsSealer(new KMSClient({ region: 'eu-west-1' }), KEY)
    const sealed = await Promise.all([1, 2, 3].map((i) => sealer.seal(`secret ${i}`, context)))
    expect(kms.commandCalls(GenerateDataKeyCommand)).toHaveLength(1)
    expect(kms).toHaveReceivedCommandWith(GenerateDataKeyCommand, {
      KeyId: KEY,
      KeySpec: 'AES_256',
      EncryptionContext: { purpose: 'latchkey-seal' },
    })
    for (const value of sealed) {
      expect(value).toMatch(/^v1\.kms\./)
      expect(value).not.toContain('secret')
    }
    // The data key it made is already open: no Decrypt in the container that sealed.
    expect(await sealer.unseal(sealed[1] ?? '', context)).toBe('secret 2')
    expect(kms.commandCalls(DecryptCommand)).toHaveLength(0)
  })

  it('opens values from other containers with one Decrypt per distinct data key', async () => {
    fakeKms()
    const client = new KMSClient({ region: 'eu-west-1' })
    const writerA = kmsSealer(client, KEY)
    const writerB = kmsSealer(client, KEY)
    const values = [
      ...(await Promise.all(['a1', 'a2'].map((v) => writerA.seal(v, context)))),
      ...(await Promise.all(['b1', 'b2'].map((v) => writerB.seal(v, context)))),
    ]
    const reader = kmsSealer(client, KEY)
    const opened = await Promise.all(values.map((v) => reader.unseal(v, context)))
    expect(opened).toEqual(['a1', 'a2', 'b1', 'b2'])
    expect(kms.commandCalls(DecryptCommand)).toHaveLength(2)
    expect(kms).toHaveReceivedCommandWith(DecryptCommand, {
      KeyId: KEY,
      EncryptionContext: { purpose: 'latchkey-seal' },
    })
  })

  it('refuses a value moved onto another record (the context is authenticated)', async () => {
    fakeKms()
    const sealer = kmsSealer(new KMSClient({ region: 'eu-west-1' }), KEY)
    const sealed = await sealer.seal('secret', context)
    await expect(sealer.unseal(sealed, { ...context, id: 'b' })).rejects.toThrow(notAuthentic)
  })

  it('asks again after KMS fails, instead of caching the failure', async () => {
    kms.on(GenerateDataKeyCommand).rejectsOnce(new Error('throttled'))
    const sealer = kmsSealer(new KMSClient({ region: 'eu-west-1' }), KEY)
    await expect(sealer.seal('x', context)).rejects.toThrow('throttled')
    fakeKms()
    await expect(sealer.seal('x', context)).resolves.toMatch(/^v1\.kms\./)
  })
})

describe('local sealer', () => {
  it('round-trips, binds the context, and never writes over an existing key file', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'latchkey-seal-')), 'seal-key.json')
    await writeSealKeyFile(file)
    await expect(writeSealKeyFile(file)).rejects.toThrow(/EEXIST/)
    const sealer = localSealer(file)
    const sealed = await sealer.seal('the token', context)
    expect(sealed).toMatch(/^v1\.local\./)
    expect(await sealer.unseal(sealed, context)).toBe('the token')
    await expect(sealer.unseal(sealed, { ...context, project: 'db' })).rejects.toThrow(notAuthentic)
    // One character of the ciphertext changed (not the prefix, which fails sooner).
    const parts = sealed.split('.')
    const body = parts[parts.length - 2] ?? ''
    parts[parts.length - 2] = `${body[0] === 'A' ? 'B' : 'A'}${body.slice(1)}`
    await expect(sealer.unseal(parts.join('.'), context)).rejects.toThrow(notAuthentic)
  })
})
