import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdtemp, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, describe, expect, it } from 'vitest'
import { kmsSealer } from '../../shared/keys/kms-sealer.js'
import { localSealer, writeSealKeyFile } from '../../shared/keys/local-sealer.js'
import { SealError } from '../../shared/keys/sealer.js'

/**
 * What a sealed enrollment token survives and what it does not: the record's identity
 * in any key order, any text; not another sealer's value, a changed IV or tag, a key
 * file of the wrong size, or KMS answering without a key.
 */

const kms = mockClient(KMSClient)
const KEY = 'arn:aws:kms:eu-west-1:111122223333:key/seal'
const context = { team: 'acme', project: 'web', id: 'a' }
const notAuthentic = /unable to authenticate data|Invalid authentication tag length/

const keyFile = async () => {
  const file = join(await mkdtemp(join(tmpdir(), 'latchkey-seal-')), 'seal-key.json')
  await writeSealKeyFile(file)
  return file
}

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

describe('local sealer, edge by edge', () => {
  it('opens with the same record named in any key order, and keeps any text exact', async () => {
    const sealer = localSealer(await keyFile())
    const text = 'eyJzIjoi…ü—漢字 \u{1F511}'
    const sealed = await sealer.seal(text, context)
    expect(await sealer.unseal(sealed, { id: 'a', project: 'web', team: 'acme' })).toBe(text)
    await expect(sealer.unseal(sealed, { ...context, team: 'acmf' })).rejects.toThrow(notAuthentic)
    await expect(sealer.unseal(sealed, { team: 'acme', project: 'web' })).rejects.toThrow(
      notAuthentic,
    )
  })

  it('uses a fresh IV each time: the same text seals differently', async () => {
    const sealer = localSealer(await keyFile())
    const [a, b] = [await sealer.seal('same', context), await sealer.seal('same', context)]
    expect(a).not.toBe(b)
    // v1.local.<iv>.<ciphertext>.<tag>: a 12-byte IV and a 16-byte tag, base64url.
    const [iv = '', body = '', tag = ''] = a.slice('v1.local.'.length).split('.')
    expect(Buffer.from(iv, 'base64url')).toHaveLength(12)
    expect(Buffer.from(body, 'base64url')).toHaveLength(4)
    expect(Buffer.from(tag, 'base64url')).toHaveLength(16)
  })

  it('refuses a changed IV or tag', async () => {
    const sealer = localSealer(await keyFile())
    const sealed = await sealer.seal('the token', context)
    const [iv = '', body = '', tag = ''] = sealed.slice('v1.local.'.length).split('.')
    const flip = (part: string) => `${part[0] === 'A' ? 'B' : 'A'}${part.slice(1)}`
    for (const changed of [`${flip(iv)}.${body}.${tag}`, `${iv}.${body}.${flip(tag)}`]) {
      await expect(sealer.unseal(`v1.local.${changed}`, context)).rejects.toThrow(notAuthentic)
    }
  })

  it("refuses another key's values, and values sealed with KMS", async () => {
    const mine = localSealer(await keyFile())
    const theirs = localSealer(await keyFile())
    const sealed = await theirs.seal('the token', context)
    await expect(mine.unseal(sealed, context)).rejects.toThrow(notAuthentic)
    const error = await mine.unseal('v1.kms.abc.def.ghi.jkl', context).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SealError)
    expect((error as Error).message).toBe('not sealed by the local key')
  })

  it('writes its key file for its owner only, and refuses a key of the wrong size', async () => {
    const file = await keyFile()
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    const { key } = JSON.parse(readFileSync(file, 'utf8'))
    expect(Buffer.from(key, 'base64url')).toHaveLength(32)
    const short = join(await mkdtemp(join(tmpdir(), 'latchkey-seal-')), 'short.json')
    await writeFile(short, JSON.stringify({ key: randomBytes(16).toString('base64url') }))
    expect(() => localSealer(short)).toThrow(SealError)
    expect(() => localSealer(short)).toThrow(`${short} does not hold a 32-byte key`)
  })
})

describe('KMS sealer, edge by edge', () => {
  it("refuses a local sealer's value without asking KMS", async () => {
    fakeKms()
    const sealer = kmsSealer(new KMSClient({ region: 'eu-west-1' }), KEY)
    const local = await localSealer(await keyFile()).seal('x', context)
    const error = await sealer.unseal(local, context).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SealError)
    expect((error as Error).message).toBe('not sealed with KMS')
    expect(kms.calls()).toHaveLength(0)
  })

  it('fails clearly when KMS answers without a data key, and asks again next time', async () => {
    kms.on(GenerateDataKeyCommand).resolves({ CiphertextBlob: Buffer.from('x') })
    const sealer = kmsSealer(new KMSClient({ region: 'eu-west-1' }), KEY)
    await expect(sealer.seal('x', context)).rejects.toThrow('KMS returned no data key')
    kms.reset()
    kms.on(GenerateDataKeyCommand).resolves({ Plaintext: randomBytes(32) })
    await expect(sealer.seal('x', context)).rejects.toThrow('KMS returned no data key')
    fakeKms()
    await expect(sealer.seal('x', context)).resolves.toMatch(/^v1\.kms\./)
  })

  it('sends the data key it stored to Decrypt, and asks again after a failed Decrypt', async () => {
    fakeKms()
    const client = new KMSClient({ region: 'eu-west-1' })
    const sealed = await kmsSealer(client, KEY).seal('the token', context)
    const reader = kmsSealer(client, KEY)
    kms.on(DecryptCommand).rejectsOnce(new Error('throttled'))
    await expect(reader.unseal(sealed, context)).rejects.toThrow('throttled')
    fakeKms()
    expect(await reader.unseal(sealed, context)).toBe('the token')
    const blob = kms.commandCalls(DecryptCommand)[1]?.args[0].input.CiphertextBlob
    expect(
      Buffer.from(blob ?? [])
        .subarray(0, 4)
        .toString(),
    ).toBe('edk:')
    // Opened once, it stays open in this container.
    expect(await reader.unseal(sealed, context)).toBe('the token')
    expect(kms.commandCalls(DecryptCommand)).toHaveLength(2)
  })

  it('fails clearly when Decrypt answers without a key', async () => {
    fakeKms()
    const client = new KMSClient({ region: 'eu-west-1' })
    const sealed = await kmsSealer(client, KEY).seal('the token', context)
    kms.on(DecryptCommand).resolves({})
    await expect(kmsSealer(client, KEY).unseal(sealed, context)).rejects.toThrow(
      'KMS returned no plaintext',
    )
  })
})
