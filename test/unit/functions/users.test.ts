import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { handler as list } from '../../../functions/users/list.js'
import { invoke } from '../../support/invoke.js'
import { serviceJwt } from '../../support/jwt.js'

const ddb = mockClient(DynamoDBDocumentClient)
const TABLE = 'latchkey-unit'
const NOW = new Date('2026-11-22T10:00:00.000Z')
const params = { team: 'acme' }

const bearer = (role: 'admin' | 'member', scopes?: string[]) =>
  serviceJwt({ role, ...(scopes && { scopes }) })

const user = (username: string, extra: Record<string, unknown> = {}) => ({
  PK: 'TEAM#acme',
  SK: `USER#${username}`,
  kind: 'User',
  team: 'acme',
  username,
  role: 'member',
  passwordHash: 'scrypt$16384$8$1$c2FsdA$aGFzaA',
  mfaEnabled: false,
  createdAt: '2026-11-01T00:00:00.000Z',
  tokenSeq: 3,
  tokenCount: 2,
  ...extra,
})

const window = (username: string, attempts: number, windowStart: number) => ({
  PK: 'TEAM#acme',
  SK: `SIGNIN#${username}`,
  kind: 'SignInAttempts',
  team: 'acme',
  username,
  attempts,
  windowStart,
  windowEnd: windowStart + 15 * 60_000,
})

beforeEach(() => {
  ddb.reset()
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(NOW)
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
})
afterEach(() => vi.useRealTimers())

const get = (url: string, token: string) => invoke(list, { method: 'GET', url, token, params })

describe('GET /v1/teams/{team}/users: calls and exact inputs', () => {
  it('reads a page of users and their sign-in windows: 2 calls, never a hash', async () => {
    const at = NOW.getTime()
    ddb.on(QueryCommand).resolves({
      Items: [
        user('ann', { role: 'admin' }),
        user('bob', { mfaEnabled: true }),
        user('cy', { passwordHash: null }),
        user('dee'),
      ],
    })
    ddb.on(BatchGetCommand).resolves({
      Responses: {
        [TABLE]: [
          // bob: five wrong passwords 10 minutes ago, locked 5 more minutes
          window('bob', 5, at - 10 * 60_000),
          // cy: five, but the window closed a minute ago
          window('cy', 5, at - 16 * 60_000),
          // dee: two wrong passwords, still allowed
          window('dee', 2, at - 60_000),
        ],
      },
    })
    const reply = await get('/v1/teams/acme/users', await bearer('admin'))
    expect(reply.statusCode).toBe(200)
    expect(ddb.calls()).toHaveLength(2)
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TABLE,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': 'TEAM#acme', ':prefix': 'USER#' },
      ExclusiveStartKey: undefined,
      Limit: 101,
      ConsistentRead: true,
    })
    expect(ddb.commandCalls(BatchGetCommand)[0]?.args[0].input).toEqual({
      RequestItems: {
        [TABLE]: {
          Keys: ['ann', 'bob', 'cy', 'dee'].map((name) => ({
            PK: 'TEAM#acme',
            SK: `SIGNIN#${name}`,
          })),
          ConsistentRead: true,
        },
      },
    })
    const common = { createdAt: '2026-11-01T00:00:00.000Z', lockedOut: false, lockedUntil: null }
    expect(reply.json.list).toEqual([
      { ...common, username: 'ann', role: 'admin', hasPassword: true, mfaEnabled: false },
      {
        ...common,
        username: 'bob',
        role: 'member',
        hasPassword: true,
        mfaEnabled: true,
        lockedOut: true,
        lockedUntil: '2026-11-22T10:05:00.000Z',
      },
      { ...common, username: 'cy', role: 'member', hasPassword: false, mfaEnabled: false },
      { ...common, username: 'dee', role: 'member', hasPassword: true, mfaEnabled: false },
    ])
    expect(reply.body).not.toMatch(/scrypt|passwordHash|tokenSeq|tokenCount/)
    expect(reply.headers?.link).toBeUndefined()
  })

  it('pages by name: a cursor after the last user shown, bound to the team', async () => {
    ddb.on(QueryCommand).resolves({ Items: [user('ann'), user('bob'), user('cy')] })
    ddb.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [] } })
    const first = await get('/v1/teams/acme/users?count=2', await bearer('admin'))
    expect(first.json.list.map((u: { username: string }) => u.username)).toEqual(['ann', 'bob'])
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input.Limit).toBe(3)
    const link = String(first.headers?.link)
    expect(link).toMatch(/^<\/v1\/teams\/acme\/users\?count=2&offset=[^>]+>; rel="next"$/)
    const offset = new URL(link.slice(1, link.indexOf('>')), 'http://x').searchParams.get('offset')
    ddb.reset()
    ddb.on(QueryCommand).resolves({ Items: [user('cy')] })
    ddb.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [] } })
    const next = await get(`/v1/teams/acme/users?count=2&offset=${offset}`, await bearer('admin'))
    expect(next.statusCode).toBe(200)
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input.ExclusiveStartKey).toEqual({
      PK: 'TEAM#acme',
      SK: 'USER#bob',
    })
    expect(next.headers?.link).toBeUndefined()
  })

  it('refuses a bad cursor, a member and a token without tokens:read, before any read', async () => {
    const bad = await get('/v1/teams/acme/users?offset=bm90LWEtY3Vyc29y', await bearer('admin'))
    expect(bad.statusCode).toBe(400)
    expect(bad.json.errors).toEqual([{ description: 'offset', message: expect.any(String) }])
    const count = await get('/v1/teams/acme/users?count=0', await bearer('admin'))
    expect(count.statusCode).toBe(400)
    const member = await get('/v1/teams/acme/users', await bearer('member'))
    expect(member.statusCode).toBe(403)
    expect(member.json.code).toBe('forbidden_error')
    const scoped = await get('/v1/teams/acme/users', await bearer('admin', ['projects:read']))
    expect(scoped.statusCode).toBe(403)
    expect(scoped.json.message).toContain('tokens:read')
    expect(ddb.calls()).toHaveLength(0)
  })
})
