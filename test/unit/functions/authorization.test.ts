import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import type { Context } from 'aws-lambda'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { handler as createProject } from '../../../functions/projects/create.js'
import { handler as listProjects } from '../../../functions/projects/list.js'
import { handler as listTokens } from '../../../functions/tokens/list.js'
import type { Caller } from '../../../shared/auth/caller.js'
import { keys } from '../../../shared/data/keys.js'
import type { LatchkeyEvent } from '../../../shared/http/event.js'
import { authorize } from '../../../shared/http/middleware/authorize.js'
import { throttled } from '../../support/aws-errors.js'
import { invoke } from '../../support/invoke.js'
import { serviceJwt } from '../../support/jwt.js'
import { storedToken, storedUser, tokenLookup } from '../../support/tokens.js'

/**
 * Who may do what, through the real middleware and policy: the answer each caller
 * gets on a read and a manage route, and what it cost. Personal tokens have their
 * user's current role read with them (one BatchGetItem); service tokens carry theirs.
 */

const ddb = mockClient(DynamoDBDocumentClient)
const TABLE = 'latchkey-unit'
const NOW = new Date('2026-11-25T10:00:00.000Z')
const recent = new Date(NOW.getTime() - 5_000).toISOString()

const bearer = (role: 'admin' | 'member', extra: Record<string, unknown> = {}) =>
  serviceJwt({ sub: 'alice', role, iat: Math.floor(NOW.getTime() / 1000), ...extra })

/**
 * A personal token of alice's (id 7), and (unless removed) alice with this role, as
 * the token's BatchGetItem answers them; `revokedThrough`: her revocation mark, left by
 * a delete-all.
 */
function personal(
  role: 'admin' | 'member' | 'removed',
  options: { scopes?: string[]; revokedThrough?: number } = {},
) {
  const { revokedThrough, ...tokenOptions } = options
  const stored = storedToken({ lastUsed: recent, ...tokenOptions })
  const mark = { ...keys.tokenRevocation('acme', 'alice'), kind: 'TokenRevocation', revokedThrough }
  const user = role === 'removed' ? [] : [storedUser('acme', 'alice', role)]
  ddb
    .on(BatchGetCommand)
    .callsFake(
      revokedThrough === undefined
        ? tokenLookup(stored.item, ...user)
        : tokenLookup(mark, stored.item, ...user),
    )
  return stored.token
}

const create = (token: string, team = 'acme') =>
  invoke(createProject, {
    method: 'POST',
    url: `/v1/teams/${team}/projects`,
    token,
    params: { team },
    body: { name: 'web' },
  })
const list = (token: string, team = 'acme') =>
  invoke(listProjects, {
    method: 'GET',
    url: `/v1/teams/${team}/projects`,
    token,
    params: { team },
  })

const onlyAdmins = {
  code: 'forbidden_error',
  message: 'Only team admins may do this; your role is member.',
}

beforeEach(() => {
  ddb.reset()
  ddb.on(PutCommand).resolves({})
  ddb.on(QueryCommand).resolves({ Items: [] })
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(NOW)
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('authorisation through the policy', () => {
  it("lets an admin's personal token manage, reading the current role with the token", async () => {
    const reply = await create(personal('admin'))
    expect(reply.statusCode).toBe(201)
    // The token with its user's revocation mark and the user's item (the role): one call.
    expect(ddb).toHaveReceivedCommandWith(BatchGetCommand, {
      RequestItems: {
        [TABLE]: {
          Keys: [
            keys.tokenRevocation('acme', 'alice'),
            keys.accessToken('acme', 'alice', 7),
            keys.user('acme', 'alice'),
          ],
          ConsistentRead: true,
        },
      },
    })
    expect(ddb).not.toHaveReceivedCommand(GetCommand)
    expect(ddb).toHaveReceivedCommandTimes(BatchGetCommand, 1)
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1)
    expect(ddb.calls()).toHaveLength(2)
  })

  it("refuses a member's personal token a manage route with 403, writing nothing", async () => {
    const reply = await create(personal('member'))
    expect(reply.statusCode).toBe(403)
    expect(reply.json).toMatchObject(onlyAdmins)
    expect(ddb).not.toHaveReceivedCommand(PutCommand)
  })

  it('lets a member read, in two calls: the token with the role, then the read', async () => {
    const reply = await list(personal('member'))
    expect(reply.statusCode).toBe(200)
    expect(ddb).toHaveReceivedCommandTimes(BatchGetCommand, 1)
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 1)
    expect(ddb.calls()).toHaveLength(2)
  })

  it('refuses a removed user with the 401 of a bad credential, on reads too', async () => {
    for (const reply of [await create(personal('removed')), await list(personal('removed'))]) {
      expect(reply.statusCode).toBe(401)
      expect(reply.json).toMatchObject({ code: 'authentication_error' })
    }
    expect(ddb).not.toHaveReceivedCommand(PutCommand)
    expect(ddb).not.toHaveReceivedCommand(QueryCommand)
  })

  it("refuses a token its user's delete-all revoked with the 401, reading no role", async () => {
    for (const reply of [
      await create(personal('admin', { revokedThrough: 7 })),
      await list(personal('admin', { revokedThrough: 9 })),
    ]) {
      expect(reply.statusCode).toBe(401)
      expect(reply.json).toMatchObject({ code: 'authentication_error' })
    }
    expect(ddb).not.toHaveReceivedCommand(GetCommand)
    expect(ddb).not.toHaveReceivedCommand(PutCommand)
    expect(ddb).not.toHaveReceivedCommand(QueryCommand)
    // Only the ids up to the mark are revoked.
    expect((await create(personal('admin', { revokedThrough: 6 }))).statusCode).toBe(201)
  })

  it('takes the role a service token carries, reading none', async () => {
    const admin = await create(await bearer('admin'))
    expect(admin.statusCode).toBe(201)
    expect(ddb).not.toHaveReceivedCommand(GetCommand)
    ddb.resetHistory()
    const member = await create(await bearer('member'))
    expect(member.statusCode).toBe(403)
    expect(member.json).toMatchObject(onlyAdmins)
    expect(ddb.calls()).toHaveLength(0)
  })

  it("answers another team's caller 404 naming the team, on read and manage routes", async () => {
    for (const reply of [
      await list(await bearer('admin'), 'evil'),
      await create(await bearer('admin'), 'evil'),
      await create(personal('admin'), 'evil'),
    ]) {
      expect(reply.statusCode).toBe(404)
      expect(reply.json).toMatchObject({
        code: 'resource_does_not_exist',
        message: 'The team does not exist.',
      })
    }
    expect(ddb).not.toHaveReceivedCommand(PutCommand)
    expect(ddb).not.toHaveReceivedCommand(QueryCommand)
  })

  it('refuses a scoped token the scope a route needs, naming it, whatever the role', async () => {
    const reply = await create(personal('admin', { scopes: ['projects:read'] }))
    expect(reply.statusCode).toBe(403)
    expect(reply.json).toMatchObject({
      code: 'forbidden_error',
      message: 'This token lacks the scope projects:write, which this route needs.',
    })
    expect(ddb).not.toHaveReceivedCommand(PutCommand)
    // The scope it holds opens its route.
    expect((await list(personal('admin', { scopes: ['projects:read'] }))).statusCode).toBe(200)
  })

  it('lets an unscoped token use every built-in scope its role allows', async () => {
    expect((await create(personal('admin'))).statusCode).toBe(201)
    expect((await create(await bearer('admin', { scopes: ['projects:write'] }))).statusCode).toBe(
      201,
    )
    const lacking = await create(await bearer('admin', { scopes: ['reports:write'] }))
    expect(lacking.statusCode).toBe(403)
  })
})

describe('authentication of users', () => {
  const tokens = (token: string | undefined, headers: Record<string, string> = {}) =>
    invoke(listTokens, { method: 'GET', url: '/api/tokens', headers, token })

  it('answers the one 401 for no credential, an empty one and a malformed header', async () => {
    for (const reply of [
      await tokens(undefined),
      await tokens(undefined, { authorization: 'Bearer' }),
      await tokens(undefined, { authorization: 'Basic abc' }),
    ]) {
      expect(reply.statusCode).toBe(401)
      expect(reply.json).toMatchObject({ code: 'authentication_error' })
    }
    expect(ddb.calls()).toHaveLength(0)
  })

  it('sends a rate-limited token its place in the window on every answer', async () => {
    const limited = storedToken({ lastUsed: recent, rateLimit: { limit: 10, windowSeconds: 60 } })
    // The listing's one Query authenticates too: it holds the token.
    ddb.on(QueryCommand).resolves({ Items: [limited.item] })
    ddb.on(UpdateCommand).resolves({ Attributes: { used: 2 } }) // the count before this one
    const reply = await tokens(limited.token)
    expect(reply.statusCode).toBe(200)
    const reset = String((Math.floor(NOW.getTime() / 60_000) + 1) * 60)
    expect(reply.headers).toMatchObject({
      'x-ratelimit-limit': '10',
      'x-ratelimit-remaining': '7',
      'x-ratelimit-reset': reset,
    })
  })

  it('answers only once the lastUsed write has settled, on success and on refusal', async () => {
    // Tokens last used an hour ago: this request's lastUsed write is due. The scoped one
    // lacks tokens:read, so its answer is a refusal after authentication.
    const lastUsed = new Date(NOW.getTime() - 3_600_000).toISOString()
    for (const [stale, status] of [
      [storedToken({ lastUsed }), 200],
      [storedToken({ lastUsed, scopes: ['projects:read'] }), 403],
    ] as const) {
      ddb.on(QueryCommand).resolves({ Items: [stale.item] })
      const settled: string[] = []
      let finish = () => {}
      ddb.on(UpdateCommand).callsFake(
        () =>
          new Promise((resolve) => {
            finish = () => {
              settled.push('lastUsed written')
              resolve({})
            }
          }),
      )
      const pending = tokens(stale.token).then((reply) => {
        settled.push('answered')
        return reply
      })
      await vi.waitFor(() => expect(ddb).toHaveReceivedCommand(UpdateCommand))
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(settled).toEqual([])
      finish()
      expect((await pending).statusCode).toBe(status)
      expect(settled).toEqual(['lastUsed written', 'answered'])
      ddb.resetHistory()
    }
  })

  it('logs a lastUsed write that failed, with the request id, and still answers', async () => {
    const written: string[] = []
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk))
      return true
    })
    const stale = storedToken({ lastUsed: new Date(NOW.getTime() - 3_600_000).toISOString() })
    ddb.on(QueryCommand).resolves({ Items: [stale.item] })
    ddb.on(UpdateCommand).rejects(throttled())
    const reply = await tokens(stale.token)
    expect(reply.statusCode).toBe(200)
    const warning = written
      .map((line) => JSON.parse(line))
      .find((line) => line.message === 'lastUsed not recorded')
    expect(warning).toMatchObject({ level: 'warn', requestId: reply.requestId })
    expect(JSON.stringify(warning)).toContain('ThrottlingException')
  })

  it('names the caller of a personal token as its owner', async () => {
    const stored = storedToken({ team: 'acme', username: 'bob', lastUsed: recent })
    ddb.on(QueryCommand).resolves({ Items: [stored.item] })
    const reply = await tokens(stored.token)
    expect(reply.statusCode).toBe(200)
    expect(reply.json.tokens).toEqual([expect.objectContaining({ id: 7, name: 'token 7' })])
    // Bob's partition is the one read (and the only call: no lookup of the token alone).
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      ExpressionAttributeValues: expect.objectContaining({ ':pk': 'TEAM#acme#USER#bob' }),
    })
    expect(ddb.calls()).toHaveLength(1)
  })
})

describe('authorize on a route it cannot judge', () => {
  // Every team-scoped route authenticates a user first; a route wired otherwise is a
  // programming error, which must fail loudly (a 500), never be let through or
  // answered like another team's 404.
  const judge = (caller: Caller | undefined, pathParameters?: Record<string, string>) => {
    const before = authorize({ access: 'manage' }).before
    if (!before) throw new Error('authorize has no before')
    const event = { pathParameters, caller } as LatchkeyEvent
    return before({ event, context: {} as Context, response: null, error: null, internal: {} })
  }
  const misconfigured = 'authorize needs a user caller and {team}'

  it('refuses an agent of the same team on a manage route', async () => {
    const server = {
      kind: 'server',
      team: 'acme',
      project: 'web',
      serverId: 's',
      secretHash: 'h',
    } as const
    await expect(judge(server, { team: 'acme' })).rejects.toThrow(misconfigured)
    await expect(
      judge({ kind: 'aws_iam', team: 'acme', project: 'web' }, { team: 'acme' }),
    ).rejects.toThrow(misconfigured)
  })

  it('refuses no caller, and a route without {team}', async () => {
    await expect(judge(undefined, { team: 'acme' })).rejects.toThrow(misconfigured)
    const alice: Caller = {
      kind: 'user',
      team: 'acme',
      username: 'alice',
      credential: { type: 'service_token', jti: 'j', role: 'admin' },
      scopes: null,
    }
    await expect(judge(alice, {})).rejects.toThrow(misconfigured)
    await expect(judge(alice)).rejects.toThrow(misconfigured)
    // The same caller with its team in the path is judged by the policy: an admin manages.
    await expect(judge(alice, { team: 'acme' })).resolves.toBeUndefined()
  })
})
