import { crc32 } from 'node:zlib'
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { handler as verify } from '../../../functions/tokens/verify.js'
import { keys } from '../../../shared/data/keys.js'
import { sha256, toBase62 } from '../../../shared/tokens/crypto.js'
import { invoke } from '../../support/invoke.js'
import { serviceJwt } from '../../support/jwt.js'
import { storedToken, tokenLookup } from '../../support/tokens.js'

/**
 * Verify's answers at their edges, as the verifying service reads them: a server token
 * naming another team (never REVOKED, never VALID), a service token's role deciding an
 * admin-only scope without a call, and what a token made without scopes shows.
 */

const ddb = mockClient(DynamoDBDocumentClient)
const NOW = new Date('2026-11-22T10:00:30.000Z')
const nowSeconds = Math.floor(NOW.getTime() / 1000)
const SERVER_ID = '0193a2b4-0000-7000-8000-000000000009'
const SECRET = 'S'.repeat(43)

const jwtFor = (claims: Record<string, unknown> = {}) =>
  serviceJwt({
    sub: 'svc',
    role: 'member',
    jti: 'caller-jti',
    iat: nowSeconds,
    exp: nowSeconds + 3600,
    scopes: ['tokens:verify'],
    ...claims,
  })

/** A server token for any routing, with this secret and a correct checksum. */
function serverToken(team: string, project: string, id: string, secret = SECRET) {
  const body = `lks_${toBase62(new TextEncoder().encode(`${team}:${project}:${id}`))}_${secret}`
  const value = crc32(body)
  const check = toBase62(
    Uint8Array.of(value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255),
    6,
  )
  return body + check
}

let caller: string
const check = (token: string, scopes?: string[]) =>
  invoke(verify, {
    method: 'POST',
    url: '/v1/teams/acme/tokens/verify',
    token: caller,
    body: { token, ...(scopes && { scopes }) },
    params: { team: 'acme' },
    routeKey: 'POST /v1/teams/{team}/tokens/verify',
  })

beforeEach(async () => {
  ddb.reset()
  ddb.on(GetCommand).resolves({})
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(NOW)
  caller = await jwtFor()
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

const FLEET = { ...keys.project('acme', 'fleet'), kind: 'Project', team: 'acme', name: 'fleet' }
const storedServer = (secret: string) => ({
  ...keys.server('acme', 'fleet', SERVER_ID),
  ...serverItem(secret),
})
const serverItem = (secret: string) => ({
  team: 'acme',
  project: 'fleet',
  id: SERVER_ID,
  hostname: 'web-01',
  enrollmentTokenId: 'e',
  registeredAt: NOW.toISOString(),
  secretHash: sha256(secret),
})

describe('verify: server tokens naming another team', () => {
  it("is NOT_FOUND for another team's token, even with the secret of this team's server", async () => {
    ddb.on(BatchGetCommand).callsFake(tokenLookup(storedServer(SECRET), FLEET))
    expect((await check(serverToken('acme', 'fleet', SERVER_ID))).json.code).toBe('VALID')
    const foreign = await check(serverToken('evil', 'fleet', SERVER_ID))
    expect(foreign.json).toEqual({ valid: false, code: 'NOT_FOUND' })
  })

  it("is NOT_FOUND, not REVOKED, for another team's token matching a deleted server here", async () => {
    ddb.on(BatchGetCommand).callsFake(tokenLookup(FLEET))
    ddb
      .on(GetCommand, { Key: keys.tombstone(keys.server('acme', 'fleet', SERVER_ID)) })
      .resolves({ Item: { secretHash: sha256(SECRET) } })
    expect((await check(serverToken('acme', 'fleet', SERVER_ID))).json.code).toBe('REVOKED')
    const foreign = await check(serverToken('evil', 'fleet', SERVER_ID))
    expect(foreign.json).toEqual({ valid: false, code: 'NOT_FOUND' })
  })

  it('is NOT_FOUND for a server deleted without a recorded secret, or never enrolled', async () => {
    ddb.on(BatchGetCommand).callsFake(tokenLookup(FLEET))
    ddb
      .on(GetCommand, { Key: keys.tombstone(keys.server('acme', 'fleet', SERVER_ID)) })
      .resolves({ Item: { entity: 'Server' } })
    expect((await check(serverToken('acme', 'fleet', SERVER_ID))).json.code).toBe('NOT_FOUND')
  })

  it("answers a VALID server token with the server's identity and nothing a person has", async () => {
    ddb.on(BatchGetCommand).callsFake(tokenLookup(storedServer(SECRET), FLEET))
    expect((await check(serverToken('acme', 'fleet', SERVER_ID))).json).toEqual({
      valid: true,
      code: 'VALID',
      token: {
        id: SERVER_ID,
        kind: 'server',
        name: 'web-01',
        team: 'acme',
        user: null,
        scopes: [],
        meta: null,
        expiresAt: null,
        project: 'fleet',
        server: SERVER_ID,
      },
    })
    // A server token holds no scope: asked for one, it is refused, not valid.
    const scoped = await check(serverToken('acme', 'fleet', SERVER_ID), ['orders:read'])
    expect(scoped.json).toMatchObject({ valid: false, code: 'INSUFFICIENT_SCOPE' })
  })
})

describe('verify: a server token of a project being deleted', () => {
  it('is REVOKED for its own secret and NOT_FOUND for another, in the one read', async () => {
    const closing = { ...FLEET, deleting: NOW.toISOString() }
    ddb.on(BatchGetCommand).callsFake(tokenLookup(storedServer(SECRET), closing))
    expect((await check(serverToken('acme', 'fleet', SERVER_ID))).json).toEqual({
      valid: false,
      code: 'REVOKED',
    })
    const other = await check(serverToken('acme', 'fleet', SERVER_ID, 'T'.repeat(43)))
    expect(other.json).toEqual({ valid: false, code: 'NOT_FOUND' })
    const foreign = await check(serverToken('evil', 'fleet', SERVER_ID))
    expect(foreign.json).toEqual({ valid: false, code: 'NOT_FOUND' })
    expect(ddb.calls()).toHaveLength(3) // one BatchGetItem each, no deletion record read
  })
})

describe('verify: roles and scopes', () => {
  it("decides an admin-only scope from a service token's role, with no call", async () => {
    const admin = await jwtFor({ role: 'admin', scopes: ['projects:write'], jti: 'a' })
    expect((await check(admin, ['projects:write'])).json).toMatchObject({
      valid: true,
      code: 'VALID',
    })
    const member = await jwtFor({ role: 'member', scopes: ['projects:write'], jti: 'm' })
    expect((await check(member, ['projects:write'])).json).toMatchObject({
      valid: false,
      code: 'INSUFFICIENT_SCOPE',
      token: { id: 'm', kind: 'service' },
    })
    expect(ddb.calls()).toHaveLength(0)
  })

  it("reads a personal token's role for an admin-only scope: VALID for an admin, not for a removed user", async () => {
    const stored = storedToken({ lastUsed: NOW.toISOString() })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(stored.item))
    ddb.on(GetCommand, { Key: keys.user('acme', 'alice') }).resolves({ Item: { role: 'admin' } })
    expect((await check(stored.token, ['projects:write'])).json.code).toBe('VALID')
    ddb.on(GetCommand, { Key: keys.user('acme', 'alice') }).resolves({})
    expect((await check(stored.token, ['projects:write'])).json.code).toBe('INSUFFICIENT_SCOPE')
  })

  it.each(['projects:write', 'enrollment:write', 'servers:write'])(
    "refuses a member's unscoped token the admin-only %s, and gives it an admin",
    async (scope) => {
      const stored = storedToken({ lastUsed: NOW.toISOString() })
      ddb.on(BatchGetCommand).callsFake(tokenLookup(stored.item))
      ddb.on(GetCommand, { Key: keys.user('acme', 'alice') }).resolves({ Item: { role: 'member' } })
      expect((await check(stored.token, [scope])).json.code).toBe('INSUFFICIENT_SCOPE')
      ddb.on(GetCommand, { Key: keys.user('acme', 'alice') }).resolves({ Item: { role: 'admin' } })
      expect((await check(stored.token, [scope])).json.code).toBe('VALID')
    },
  )

  it('shows scopes as null for a token made without any, and an expiry when it has one', async () => {
    const expiresAt = '2026-12-01T00:00:00.000Z'
    const stored = storedToken({ lastUsed: NOW.toISOString(), expiresAt })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(stored.item))
    const reply = await check(stored.token)
    expect(reply.json.token).toMatchObject({ scopes: null, expiresAt, meta: null })
    const unscoped = await jwtFor({ jti: 'u', scopes: undefined })
    expect((await check(unscoped)).json.token).toMatchObject({ scopes: null, kind: 'service' })
  })

  it("answers NOT_FOUND, revealing nothing, for a token its user's delete-all revoked", async () => {
    const stored = storedToken({ lastUsed: NOW.toISOString() })
    const mark = (revokedThrough: number) => ({
      ...keys.tokenRevocation('acme', 'alice'),
      kind: 'TokenRevocation',
      revokedThrough,
    })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(mark(7), stored.item))
    expect((await check(stored.token)).json).toEqual({ valid: false, code: 'NOT_FOUND' })
    // A mark below the token's id leaves it valid: only ids up to the mark are revoked.
    ddb.on(BatchGetCommand).callsFake(tokenLookup(mark(6), stored.item))
    expect((await check(stored.token)).json).toMatchObject({ valid: true, code: 'VALID' })
  })

  it('never answers a ratelimit for a token without a limit', async () => {
    const stored = storedToken({ lastUsed: NOW.toISOString() })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(stored.item))
    const reply = await check(stored.token)
    expect(reply.json.valid).toBe(true)
    expect(reply.json.ratelimit).toBeUndefined()
  })
})
