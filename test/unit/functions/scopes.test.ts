import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { handler as createGrant } from '../../../functions/grants/create.js'
import { handler as listProjects } from '../../../functions/projects/list.js'
import { handler as create } from '../../../functions/tokens/create.js'
import { handler as list } from '../../../functions/tokens/list.js'
import { invoke } from '../../support/invoke.js'
import { storedToken, tokenLookup } from '../../support/tokens.js'

const ddb = mockClient(DynamoDBDocumentClient)
const NOW = new Date('2026-11-22T10:00:00.000Z')
const member = { PK: 'TEAM#acme', SK: 'USER#alice' }

beforeEach(() => {
  ddb.reset()
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(NOW)
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

/** A caller (used just now: no lastUsed write) whose next token id is 8. */
function callerWith(options: { scopes?: string[]; role?: 'admin' | 'member' } = {}) {
  const caller = storedToken({ lastUsed: NOW.toISOString(), scopes: options.scopes })
  ddb.on(BatchGetCommand).callsFake(tokenLookup(caller.item))
  ddb.on(GetCommand, { Key: member }).resolves({
    Item: { ...member, team: 'acme', username: 'alice', role: options.role ?? 'member' },
  })
  ddb.on(GetCommand, { Key: POLICY }).resolves({})
  ddb.on(UpdateCommand).resolves({ Attributes: { tokenSeq: 8 } })
  ddb.on(TransactWriteCommand).resolves({})
  return caller
}
const POLICY = { PK: 'TEAM#acme', SK: 'TOKENPOLICY' }
const post = (token: string, body: unknown) =>
  invoke(create, { method: 'POST', url: '/api/tokens', token, body })
const putItem = () =>
  ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[0]?.Put?.Item

describe('scopes on new tokens', () => {
  it('stores the scopes, meta and rate limit asked for, reading no role for non-admin scopes', async () => {
    const caller = callerWith()
    const meta = { plan: 'pro', limits: { seats: 5 }, tags: ['a', null, true, 1.5] }
    const reply = await post(caller.token, {
      name: 'ci',
      scopes: ['tokens:read', 'orders:read', 'tokens:read'],
      meta,
      rateLimit: { limit: 50, windowSeconds: 60 },
    })
    expect(reply.statusCode).toBe(200)
    expect(putItem()).toMatchObject({
      scopes: ['tokens:read', 'orders:read'], // duplicates dropped
      meta: JSON.stringify(meta),
      rateLimit: { limit: 50, windowSeconds: 60 },
    })
    expect(reply.json.token).toMatchObject({
      scopes: ['tokens:read', 'orders:read'],
      meta,
      rateLimit: { limit: 50, windowSeconds: 60 },
    })
    // the team's policy only: no role read
    expect(ddb).toHaveReceivedCommandTimes(GetCommand, 1)
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { Key: POLICY, ConsistentRead: true })
    expect(ddb).toHaveReceivedCommandTimes(BatchGetCommand, 1) // the caller's token (and mark)
  })

  it('refuses a member an admin-only scope with 403 naming it, after one role read and no write', async () => {
    const caller = callerWith({ role: 'member' })
    const reply = await post(caller.token, {
      name: 'ci',
      scopes: ['projects:read', 'projects:write'],
    })
    expect(reply.statusCode).toBe(403)
    expect(reply.json).toEqual({
      code: 'forbidden_error',
      message: "A member's token cannot hold the scope projects:write.",
      errors: [],
    })
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { Key: member, ConsistentRead: true })
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 0)
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 0)
  })

  it('gives an admin an admin-only scope', async () => {
    const caller = callerWith({ role: 'admin' })
    const reply = await post(caller.token, { name: 'ci', scopes: ['servers:write'] })
    expect(reply.statusCode).toBe(200)
    expect(putItem()?.scopes).toEqual(['servers:write'])
  })

  it('never lets a scoped token make a token with a scope it lacks', async () => {
    const caller = callerWith({ scopes: ['tokens:write', 'orders:read'] })
    const reply = await post(caller.token, { name: 'ci', scopes: ['orders:read', 'orders:write'] })
    expect(reply.statusCode).toBe(403)
    expect(reply.json.message).toBe(
      'This credential lacks the scope orders:write, so it cannot give it to a token.',
    )
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 0)
  })

  it("gives a scoped token's new token the maker's scopes when none are asked for", async () => {
    const caller = callerWith({ scopes: ['tokens:write', 'orders:read'] })
    const reply = await post(caller.token, { name: 'ci' })
    expect(reply.statusCode).toBe(200)
    expect(putItem()?.scopes).toEqual(['tokens:write', 'orders:read'])
  })

  it('keeps an unscoped token unscoped (no scopes attribute)', async () => {
    const caller = callerWith()
    await post(caller.token, { name: 'ci' })
    expect(putItem()?.scopes).toBeUndefined()
  })

  it.each([
    [{ scopes: ['Bad Scope'] }, 'scopes.0'],
    [{ scopes: Array.from({ length: 51 }, (_, i) => `s${i}`) }, 'scopes'],
    [{ meta: [] }, 'meta'],
    [{ meta: 'text' }, 'meta'],
    [{ rateLimit: { limit: 0, windowSeconds: 60 } }, 'rateLimit.limit'],
    [{ rateLimit: { limit: 5, windowSeconds: 86_401 } }, 'rateLimit.windowSeconds'],
    [{ rateLimit: { limit: 5 } }, 'rateLimit.windowSeconds'],
  ])('answers 400 naming the field for %j', async (extra, field) => {
    const caller = callerWith()
    const reply = await post(caller.token, { name: 'ci', ...extra })
    expect(reply.statusCode).toBe(400)
    expect(reply.json.errors.map((e: { description: string }) => e.description)).toContain(field)
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 0)
  })

  it.each([
    ['over 1 KB', `{"text": "${'x'.repeat(1100)}"}`, ''],
    ['nested 9 deep', `{"a":${'{"a":'.repeat(8)}1${'}'.repeat(8)}}`, ''],
    ['a __proto__ key', '{"__proto__": {"admin": true}}', ''],
    ['an empty key', '{"": 1}', ''],
    ['a number beyond exact integers', '{"n": 1e200}', ''],
    ['a tiny number DynamoDB cannot store', '{"n": 1e-200}', ''],
    ['a control character', '{"s": "\\u0007"}', ''],
  ])('answers 400 for meta with %s, with no write', async (_, meta, message) => {
    const caller = callerWith()
    const reply = await post(caller.token, `{"name": "ci", "meta": ${meta}}`)
    expect(reply.statusCode).toBe(400)
    expect(reply.json.errors).toContainEqual({
      description: expect.stringMatching(/^meta/),
      message: expect.stringContaining(message),
    })
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 0)
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 0)
  })

  it('takes the extensions on the Server Density token grant too, within the caller scopes', async () => {
    const caller = callerWith({ scopes: ['tokens:write', 'orders:read'] })
    const grant = (body: unknown) =>
      invoke(createGrant, { method: 'POST', url: '/tokens', token: caller.token, body })
    const denied = await grant({ tokenName: 'x', scopes: ['orders:write'] })
    expect(denied.statusCode).toBe(403)
    const reply = await grant({ tokenName: 'x', scopes: ['orders:read'], meta: { a: 1 } })
    expect(reply.statusCode).toBe(200)
    expect(reply.json).toMatchObject({ tokenName: 'x', scopes: ['orders:read'], meta: { a: 1 } })
  })
})

describe('scopes on routes', () => {
  it('answers 403 naming the scope a route needs, before any work', async () => {
    const caller = storedToken({ lastUsed: NOW.toISOString(), scopes: ['tokens:write'] })
    ddb.on(QueryCommand).resolves({ Items: [caller.item] })
    const reply = await invoke(list, { method: 'GET', url: '/api/tokens', token: caller.token })
    expect(reply.statusCode).toBe(403)
    expect(reply.json).toEqual({
      code: 'forbidden_error',
      message: 'This token lacks the scope tokens:read, which this route needs.',
      errors: [],
    })
    expect(ddb.calls()).toHaveLength(1) // the Query that authenticates, and nothing after
  })

  it("answers another team's scoped token with the tenancy 404, not the scope it lacks", async () => {
    const caller = storedToken({ lastUsed: NOW.toISOString(), scopes: ['orders:read'] })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(caller.item, caller.user()))
    const reply = await invoke(listProjects, {
      method: 'GET',
      url: '/v1/teams/other/projects',
      token: caller.token,
      params: { team: 'other' },
      routeKey: 'GET /v1/teams/{team}/projects',
    })
    expect(reply.statusCode).toBe(404)
    expect(reply.json.message).toBe('The team does not exist.')
  })

  it('lets a token holding the scope through, with the usual calls', async () => {
    const caller = storedToken({ lastUsed: NOW.toISOString(), scopes: ['tokens:read'] })
    ddb.on(QueryCommand).resolves({ Items: [caller.item] })
    const reply = await invoke(list, { method: 'GET', url: '/api/tokens', token: caller.token })
    expect(reply.statusCode).toBe(200)
    expect(reply.json.tokens[0].scopes).toEqual(['tokens:read'])
    expect(ddb.calls()).toHaveLength(1)
  })
})
