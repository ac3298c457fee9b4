import { describe, expect, it, vi } from 'vitest'
import { readConfig } from '../../shared/config.js'

describe('config', () => {
  it('fails fast naming the missing variable', () => {
    expect(() => readConfig({ AWS_REGION: 'eu-west-1' })).toThrow('TABLE_NAME is not set')
    expect(() => readConfig({ TABLE_NAME: 'x y', AWS_REGION: 'eu-west-1' })).toThrow(
      'TABLE_NAME is not a valid table name',
    )
    expect(() => readConfig({ TABLE_NAME: 'latchkey' })).toThrow('AWS_REGION is not set')
    expect(() => readConfig({ TABLE_NAME: 'latchkey', DYNAMODB_ENDPOINT: 'not a url' })).toThrow(
      'DYNAMODB_ENDPOINT',
    )
  })

  it('reads a complete configuration', () => {
    expect(readConfig({ TABLE_NAME: 'latchkey', AWS_REGION: 'eu-west-1' })).toEqual({
      tableName: 'latchkey',
      region: 'eu-west-1',
      dynamoEndpoint: undefined,
      localCredentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      jwt: { keyFile: undefined, kmsKeyId: undefined, previousKmsKeyIds: [], issuer: 'latchkey' },
      sealing: { keyFile: undefined, kmsKeyId: undefined },
      baseUrl: undefined,
      auditRetentionDays: 400,
      stsEndpoint: undefined,
      secretScanningKeys: new Map(),
    })
    expect(
      readConfig({
        TABLE_NAME: 'latchkey',
        AWS_REGION: 'eu-west-1',
        LATCHKEY_AUDIT_RETENTION_DAYS: '30',
      }).auditRetentionDays,
    ).toBe(30)
    for (const bad of ['0', '-1', '1.5', 'a year'])
      expect(() =>
        readConfig({
          TABLE_NAME: 'latchkey',
          AWS_REGION: 'eu-west-1',
          LATCHKEY_AUDIT_RETENTION_DAYS: bad,
        }),
      ).toThrow('LATCHKEY_AUDIT_RETENTION_DAYS must be a whole number of days')
    expect(
      readConfig({ TABLE_NAME: 'latchkey', DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000' }).region,
    ).toBe('local')
  })

  it('takes an STS stand-in only on loopback, so no deployment can forward agents elsewhere', () => {
    const base = { TABLE_NAME: 'latchkey', AWS_REGION: 'eu-west-1' }
    expect(readConfig(base).stsEndpoint).toBeUndefined()
    expect(
      readConfig({ ...base, LATCHKEY_STS_ENDPOINT: 'http://127.0.0.1:4566' }).stsEndpoint,
    ).toBe('http://127.0.0.1:4566')
    for (const url of ['https://sts.example.com', 'http://10.0.0.5:80', 'http://127.0.0.1:1/x'])
      expect(() => readConfig({ ...base, LATCHKEY_STS_ENDPOINT: url })).toThrow(
        'LATCHKEY_STS_ENDPOINT must be a loopback URL',
      )
  })

  it('is read once per process: a second, different context is refused, the same one is not', async () => {
    vi.resetModules()
    const { createContext, installContext, context } = await import('../../shared/context.js')
    const mine = createContext(
      readConfig({ TABLE_NAME: 'mine', DYNAMODB_ENDPOINT: 'http://127.0.0.1:1' }),
    )
    expect(installContext(mine)).toBe(mine)
    expect(installContext(mine)).toBe(mine)
    expect(context().store.tableName).toBe('mine')
    const other = createContext(readConfig({ TABLE_NAME: 'other', AWS_REGION: 'eu-west-1' }))
    expect(() => installContext(other)).toThrow('a context is installed already')
    expect(context()).toBe(mine)
  })

  it('falls back to the environment when nothing installed one (a Lambda container)', async () => {
    vi.resetModules()
    const { context } = await import('../../shared/context.js')
    // The unit tier's environment (vitest.config.ts) names this table.
    expect(context().store.tableName).toBe('latchkey-unit')
    expect(context().config.region).toBe('eu-west-1')
  })

  it("reads GitHub's secret-scanning key list, naming the variable when it is unusable", async () => {
    const { generateKeyPairSync } = await import('node:crypto')
    const pem = (curve: string) =>
      generateKeyPairSync('ec', { namedCurve: curve })
        .publicKey.export({ type: 'spki', format: 'pem' })
        .toString()
    const base = { TABLE_NAME: 'latchkey', AWS_REGION: 'eu-west-1' }
    const key = pem('P-256')
    const list = { public_keys: [{ key_identifier: 'abc', key, is_current: true }] }
    const read = (value: unknown) =>
      readConfig({ ...base, GITHUB_SECRET_SCANNING_KEYS: JSON.stringify(value) })
    expect(read(list).secretScanningKeys).toEqual(new Map([['abc', key]]))
    expect(read(list.public_keys).secretScanningKeys.get('abc')).toBe(key)
    const cases: [string, string][] = [
      ['{', 'GITHUB_SECRET_SCANNING_KEYS is not JSON'],
      ['{"keys": []}', 'GITHUB_SECRET_SCANNING_KEYS has no public_keys list'],
      ['[{"key": "x"}]', 'GITHUB_SECRET_SCANNING_KEYS has an entry without key_identifier and key'],
      [
        JSON.stringify([{ key_identifier: 'p384', key: pem('P-384') }]),
        'GITHUB_SECRET_SCANNING_KEYS key p384 is not an ECDSA P-256 public key in PEM',
      ],
      [
        JSON.stringify([{ key_identifier: 'junk', key: 'not a key' }]),
        'GITHUB_SECRET_SCANNING_KEYS key junk is not an ECDSA P-256 public key in PEM',
      ],
    ]
    for (const [value, message] of cases)
      expect(() => readConfig({ ...base, GITHUB_SECRET_SCANNING_KEYS: value })).toThrow(message)
  })
})
