import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { bundleFunction } from '../../infra/constructs/bundle.js'

/**
 * What a function's bundle must not carry, checked on the stack's own esbuild
 * settings. Sizes themselves are the benchmark's business; these are the cuts that a
 * careless import would silently undo.
 */
const root = new URL('../..', import.meta.url).pathname
let outDir = ''
const built = (handler: string) =>
  bundleFunction(`${root}functions/${handler}.ts`, join(outDir, `${handler.replace('/', '-')}.mjs`))
const files = (inputs: { file: string }[]) => inputs.map((input) => input.file)

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'latchkey-bundles-'))
})

describe('function bundles', () => {
  it("hold only their own route's validators", async () => {
    const { inputs } = await built('projects/list')
    const validators = inputs.find((input) => input.file.endsWith('validators.gen.ts'))
    // TeamPath and PageQuery only: all thirteen were 29 KB.
    expect(validators?.bytes).toBeGreaterThan(0)
    expect(validators?.bytes).toBeLessThan(6000)
    const text = await import('node:fs').then((fs) =>
      fs.readFileSync(join(outDir, 'projects-list.mjs'), 'utf8'),
    )
    expect(text).toContain('#/properties/count/pattern') // PageQuery's own validator
    expect(text).not.toContain('#/properties/max_uses') // CreateEnrollmentTokenBody's
    expect(text).not.toContain('tokens/delete-all') // another route's row
  }, 30_000)

  it('leave out the SDK event-stream codec, endpoint discovery and the credential chain beyond the environment', async () => {
    // A function with an SDK client of its own (KMS, to sign service tokens).
    const { inputs } = await built('auth/service-token')
    const names = files(inputs)
    expect(names.some((file) => file.includes('client-kms'))).toBe(true)
    expect(names.some((file) => file.includes('event-streams/'))).toBe(false)
    expect(names.some((file) => file.includes('credential-provider-ini'))).toBe(false)
    expect(names.some((file) => file.includes('credential-provider-env'))).toBe(true)
    // DynamoDB's endpoint discovery is never on: no cache, no LRU library.
    expect(
      names.some((file) => file.includes('mnemonist') || file.includes('endpoint-cache')),
    ).toBe(false)
  }, 30_000)

  it("speak DynamoDB's JSON protocol through the lean transport, not the SDK's clients", async () => {
    for (const handler of ['tokens/list', 'projects/list', 'servers/enroll', 'events/stream']) {
      const { inputs } = await built(handler)
      const names = files(inputs)
      expect(
        names.some((file) => file.endsWith('shared/aws/lean-dynamodb.ts')),
        handler,
      ).toBe(true)
      expect(
        names.some((file) => /@aws-sdk\/(client|lib)-dynamodb\//.test(file)),
        handler,
      ).toBe(false)
      // The whole SDK stays out of a function that needs no other AWS client.
      if (handler !== 'events/stream')
        expect(
          names.some((file) => file.includes('@smithy/') || file.includes('@aws-sdk/core')),
          handler,
        ).toBe(false)
    }
  }, 60_000)

  it('give agent functions neither JWT verification nor a KMS client', async () => {
    for (const handler of ['servers/enroll', 'servers/heartbeat']) {
      const names = files((await built(handler)).inputs)
      expect(
        names.some((file) => file.includes('jose')),
        handler,
      ).toBe(false)
      expect(
        names.some((file) => file.includes('client-kms')),
        handler,
      ).toBe(false)
    }
  }, 60_000)

  it('give a KMS client only to functions that call KMS themselves', async () => {
    // Verifying service tokens reads the keys the signer published: no KMS.
    for (const handler of ['tokens/list', 'projects/list', 'grants/create']) {
      const names = files((await built(handler)).inputs)
      expect(
        names.some((file) => file.includes('client-kms')),
        handler,
      ).toBe(false)
    }
    // The exchange signs with KMS but verifies no token: no jose.
    const exchange = files((await built('auth/service-token')).inputs)
    expect(exchange.some((file) => file.includes('client-kms'))).toBe(true)
    expect(exchange.some((file) => file.includes('jose'))).toBe(false)
  }, 60_000)

  it("give the authorizer DynamoDB's wire without the SDK, under 150 KB (issue 13)", async () => {
    const entry = `${root}authorizer/handler.ts`
    const lean = await bundleFunction(entry, join(outDir, 'authorizer.mjs'))
    const names = files(lean.inputs)
    expect(names.some((file) => file.includes('@aws-sdk/client-dynamodb'))).toBe(false)
    expect(names.some((file) => file.includes('@smithy/'))).toBe(false)
    expect(names.some((file) => file.endsWith('shared/aws/lean-dynamodb.ts'))).toBe(true)
    // The very same verification: the domain and the data layer, not a copy of them.
    expect(names.some((file) => file.endsWith('shared/domain/verify.ts'))).toBe(true)
    expect(names.some((file) => file.endsWith('shared/data/access-tokens.ts'))).toBe(true)
    expect(lean.bytes).toBeLessThan(150 * 1024)
  }, 30_000)

  it('keep the fallback free of the SDK, authentication and the data layer', async () => {
    const { inputs } = await built('fallback/not-found')
    const names = files(inputs)
    expect(names.some((file) => file.includes('@aws-sdk/') || file.includes('@smithy/'))).toBe(
      false,
    )
    expect(names.some((file) => file.includes('shared/data/client'))).toBe(false)
    expect(names.some((file) => file.includes('shared/auth/'))).toBe(false)
    expect(names.some((file) => file.includes('jose'))).toBe(false)
  }, 30_000)
})
