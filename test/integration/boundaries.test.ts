import { GetCommand } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { UserCaller } from '../../shared/auth/caller.js'
import { type Key, keys } from '../../shared/data/keys.js'
import { startTestApp } from '../support/app.js'

/**
 * Time and race boundaries, by behaviour on DynamoDB Local: the domain functions take
 * `now`, so the clock is the test's. Each case sits exactly on an edge a `<` for `<=`
 * (or a dropped condition) would move.
 */
let app: Awaited<ReturnType<typeof startTestApp>>
let tokens: typeof import('../../shared/domain/access-tokens.js')
let grants: typeof import('../../shared/domain/grants.js')
let enrollment: typeof import('../../shared/domain/enrollment-tokens.js')
let servers: typeof import('../../shared/domain/servers.js')

const T = Date.parse('2030-01-01T00:00:00.000Z')
const at = (ms: number) => new Date(T + ms)
const DAY = 86_400_000
const owner = { team: 'acme', username: 'admin' }
const admin: UserCaller = {
  kind: 'user',
  team: 'acme',
  username: 'admin',
  credential: { type: 'personal_token', tokenId: 1 },
  scopes: null,
}

beforeAll(async () => {
  app = await startTestApp('acme')
  tokens = await import('../../shared/domain/access-tokens.js')
  grants = await import('../../shared/domain/grants.js')
  enrollment = await import('../../shared/domain/enrollment-tokens.js')
  servers = await import('../../shared/domain/servers.js')
  await app.api('POST', '/v1/teams/acme/projects', { token: app.admin.token, body: { name: 'p' } })
})
afterAll(() => app?.close())

const rejects401 = (promise: Promise<unknown>) =>
  expect(promise).rejects.toMatchObject({ code: 'authentication_error' })

const storedItem = async (key: Key) =>
  (await app.db.send(new GetCommand({ TableName: app.tableName, Key: key, ConsistentRead: true })))
    .Item

describe('expiry', () => {
  it('accepts a personal token until the millisecond before expiresAt, not at it', async () => {
    const { accessKey, token } = await tokens.createAccessToken(
      owner,
      { name: 'expiring', expiresInDays: 1 },
      at(0),
    )
    expect(token.expiresAt).toBe(at(DAY).toISOString())
    const verified = await tokens.verifyAccessToken(accessKey, at(DAY - 1))
    await verified.recorded
    expect(verified.token.id).toBe(token.id)
    await rejects401(tokens.verifyAccessToken(accessKey, at(DAY)))
  })

  it('accepts an enrollment token until the millisecond before expiresAt, not at it', async () => {
    const created = await enrollment.createEnrollmentToken(
      admin,
      'p',
      { description: 'edge', expires_in_seconds: 3600 },
      'http://local',
      at(0),
    )
    expect(created.expires_at).toBe(at(3600_000).toISOString())
    const path = { team: 'acme', project: 'p' }
    // The enrollment's transaction is the check (no read before it).
    const caller = servers.claimEnrollmentToken(created.token, path)
    expect(caller.tokenId).toBe(created.id)
    await rejects401(servers.enroll(caller, { hostname: 'at-expiry' }, at(3600_000)))
    const enrolled = await servers.enroll(caller, { hostname: 'just-before' }, at(3600_000 - 1))
    expect(enrolled.server.enrollment_token_id).toBe(created.id)
  })
})

describe('the password lockout window', () => {
  const WINDOW = 15 * 60_000
  const grant = (password: string, ms: number) =>
    grants.createTokenByPassword(
      { username: 'admin', password, accountName: 'acme', tokenName: `t-${ms}` },
      at(ms),
    )

  it('stays shut until the last millisecond of the window and reopens exactly at its end', async () => {
    expect(grants.ATTEMPT_LIMIT).toEqual({ max: 5, windowMs: WINDOW })
    // The window opens with the first failure, at T; five failures use it up.
    for (let i = 0; i < 5; i++) await rejects401(grant('wrong password', i))
    const locked = grant(app.admin.password, WINDOW - 1)
    await expect(locked).rejects.toMatchObject({
      code: 'too_many_requests',
      details: { retryAfterSeconds: 1 },
    })
    const reopened = await grant(app.admin.password, WINDOW)
    expect(reopened.token.username).toBe('admin')
  })

  it('counts a failure at the exact end of a window into a new window, not the old one', async () => {
    const start = 10 * WINDOW
    for (let i = 0; i < 4; i++) await rejects401(grant('wrong password', start))
    // The old window is over at start + WINDOW: this failure opens a new one...
    await rejects401(grant('wrong password', start + WINDOW))
    for (let i = 0; i < 4; i++) await rejects401(grant('wrong password', start + WINDOW + 1))
    // ...which five failures have now used up, until start + 2 * WINDOW.
    await expect(grant(app.admin.password, start + WINDOW + 2)).rejects.toMatchObject({
      code: 'too_many_requests',
      details: { retryAfterSeconds: Math.ceil((WINDOW - 2) / 1000) },
    })
  })
})

describe('lastUsed', () => {
  it('is written once the interval has passed to the millisecond, not before', async () => {
    const { accessKey, token } = await tokens.createAccessToken(owner, { name: 'used' }, at(0))
    const lastUsed = async () =>
      (await storedItem(keys.accessToken('acme', 'admin', token.id)))?.lastUsed
    await (await tokens.verifyAccessToken(accessKey, at(0))).recorded
    expect(await lastUsed()).toBe(at(0).toISOString())
    const interval = tokens.LAST_USED_INTERVAL_MS
    await (await tokens.verifyAccessToken(accessKey, at(interval - 1))).recorded
    expect(await lastUsed()).toBe(at(0).toISOString())
    await (await tokens.verifyAccessToken(accessKey, at(interval))).recorded
    expect(await lastUsed()).toBe(at(interval).toISOString())
  })

  it('never recreates a token deleted while its lastUsed write was in flight', async () => {
    const { accessKey, token } = await tokens.createAccessToken(owner, { name: 'raced' }, at(0))
    // Hold every UpdateItem (the lastUsed write) until the delete has finished.
    let release = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    let held = 0
    app.dynamo.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UpdateItemCommand') {
          held++
          await gate
        }
        return next(args)
      },
      { step: 'initialize', name: 'holdUpdates' },
    )
    try {
      const verified = await tokens.verifyAccessToken(accessKey, at(0))
      await tokens.deleteOwnAccessToken(owner, token.id)
      expect(held).toBe(1)
      release()
      await verified.recorded
    } finally {
      release()
      app.dynamo.middlewareStack.remove('holdUpdates')
    }
    expect(await storedItem(keys.accessToken('acme', 'admin', token.id))).toBeUndefined()
    await rejects401(tokens.verifyAccessToken(accessKey, at(1)))
  })
})
