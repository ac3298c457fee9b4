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
/** A KMS client of either kind: the SDK's, or the lean one bundles have in its place. */
const kms = (names: string[]) =>
  names.some((file) => file.includes('client-kms') || file.endsWith('shared/aws/lean-kms.ts'))

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

  it("hold no AWS SDK client: DynamoDB, KMS and EventBridge are spoken through shared/aws's lean core", async () => {
    const cases: [string, string[]][] = [
      ['tokens/list', ['lean-dynamodb']],
      ['projects/list', ['lean-dynamodb']],
      ['servers/enroll', ['lean-dynamodb']],
      // The functions that call KMS themselves (the signer, the sealer), and the stream's EventBridge.
      ['auth/service-token', ['lean-dynamodb', 'lean-kms']],
      ['enrollment-tokens/create', ['lean-dynamodb', 'lean-kms']],
      ['enrollment-tokens/get', ['lean-dynamodb', 'lean-kms']],
      ['enrollment-tokens/list', ['lean-dynamodb', 'lean-kms']],
      ['enrollment-tokens/rotate', ['lean-dynamodb', 'lean-kms']],
      ['events/stream', ['lean-dynamodb', 'lean-eventbridge']],
    ]
    for (const [handler, lean] of cases) {
      const { inputs, bytes } = await built(handler)
      const names = files(inputs)
      for (const client of lean)
        expect(
          names.some((file) => file.endsWith(`shared/aws/${client}.ts`)),
          `${handler} ${client}`,
        ).toBe(true)
      expect(
        names.filter((file) => /@aws-sdk\/(client|lib)-|@aws-sdk\/core|@smithy\//.test(file)),
        handler,
      ).toEqual([])
      // Each shares the one core rather than a copy of it.
      expect(
        names.filter((file) => file.endsWith('shared/aws/lean-json.ts')),
        handler,
      ).toHaveLength(1)
      // The KMS functions were 218-242 KB on the SDK's client, the stream 193 KB.
      expect(bytes, handler).toBeLessThan(100 * 1024)
    }
  }, 90_000)

  it('leave out, where the SDK is bundled (the bench floors), its event-stream codec, endpoint discovery and the credential chain beyond the environment', async () => {
    // The token exchange on the SDK's clients (sdkBundling): the house's other cuts hold.
    const { inputs } = await bundleFunction(
      `${root}functions/auth/service-token.ts`,
      join(outDir, 'service-token-on-sdk.mjs'),
      { sdk: true },
    )
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

  it('give agent functions neither JWT verification nor a KMS client', async () => {
    for (const handler of ['servers/enroll', 'servers/heartbeat']) {
      const names = files((await built(handler)).inputs)
      expect(
        names.some((file) => file.includes('jose')),
        handler,
      ).toBe(false)
      expect(kms(names), handler).toBe(false)
    }
  }, 60_000)

  it('give a KMS client only to functions that call KMS themselves', async () => {
    // Verifying service tokens reads the keys the signer published: no KMS.
    for (const handler of ['tokens/list', 'projects/list', 'grants/create']) {
      const names = files((await built(handler)).inputs)
      expect(kms(names), handler).toBe(false)
    }
    // The exchange signs with KMS but verifies no token: no jose.
    const exchange = files((await built('auth/service-token')).inputs)
    expect(kms(exchange)).toBe(true)
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
