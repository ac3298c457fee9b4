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
import { handler as create } from '../../../functions/tokens/create.js'
import { handler as remove } from '../../../functions/tokens/delete.js'
import { handler as list } from '../../../functions/tokens/list.js'
import { handler as rotate } from '../../../functions/tokens/rotate.js'
import { handler as verify } from '../../../functions/tokens/verify.js'
import { listedBytes } from '../../../shared/data/access-tokens.js'
import { AccessToken } from '../../../shared/data/entities.js'
import { keys } from '../../../shared/data/keys.js'
import { parsePersonalToken } from '../../../shared/tokens/personal-token.js'
import { awsError, cancelled } from '../../support/aws-errors.js'
import { invoke } from '../../support/invoke.js'
import { serviceJwt } from '../../support/jwt.js'
import { storedToken, storedUser, tokenLookup } from '../../support/tokens.js'

/**
 * What POST /api/tokens makes of a request under the team's token policy and the
 * caller's role: the lifetime and scopes written, and the 400 naming the policy when
 * a request is outside it. Also a rotation's grace period, to the second, the quota's
 * one recount, and the edges of authentication (lastUsed's minute, the listing page).
 */

const ddb = mockClient(DynamoDBDocumentClient)
const NOW = new Date('2026-11-22T10:00:00.000Z')
const DAY_MS = 86_400_000
const POLICY_KEY = keys.tokenPolicy('acme')
const USER_KEY = keys.user('acme', 'alice')

const policy = (rules: Record<string, unknown>) =>
  ddb.on(GetCommand, { Key: POLICY_KEY }).resolves({
    Item: {
      ...POLICY_KEY,
      kind: 'TokenPolicy',
      team: 'acme',
      updatedBy: 'ann',
      updatedAt: '2026-11-01T00:00:00.000Z',
      ...rules,
    },
  })
const role = (value: 'admin' | 'member' | 'removed') =>
  ddb
    .on(GetCommand, { Key: USER_KEY })
    .resolves(value === 'removed' ? {} : { Item: storedUser('acme', 'alice', value) })

const serviceToken = (tokenRole: 'admin' | 'member') =>
  serviceJwt({ sub: 'alice', role: tokenRole, iat: Math.floor(NOW.getTime() / 1000) })

let caller: ReturnType<typeof storedToken>
const post = (body: Record<string, unknown>, token = caller.token) =>
  invoke(create, { method: 'POST', url: '/api/tokens', token, body: { name: 'ci', ...body } })
/** The access token item the create's transaction wrote. */
const written = () =>
  ddb
    .commandCalls(TransactWriteCommand)
    .at(-1)
    ?.args[0].input.TransactItems?.map((item) => item.Put?.Item)
    .find((item) => item?.kind === 'AccessToken')

beforeEach(() => {
  ddb.reset()
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(NOW)
  caller = storedToken({ lastUsed: NOW.toISOString() })
  ddb.on(BatchGetCommand).callsFake(tokenLookup(caller.item))
  ddb.on(GetCommand, { Key: POLICY_KEY }).resolves({})
  ddb.on(UpdateCommand).resolves({ Attributes: { tokenSeq: 8 } })
  ddb.on(TransactWriteCommand).resolves({})
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('the lifetime under maxLifetimeDays', () => {
  it('takes up to the maximum, to the day, and refuses a day more or none, naming the rule', async () => {
    policy({ maxLifetimeDays: 30 })
    expect((await post({ expiresInDays: 30 })).statusCode).toBe(200)
    expect(written()?.expiresAt).toBe(new Date(NOW.getTime() + 30 * DAY_MS).toISOString())
    for (const body of [{ expiresInDays: 31 }, {}]) {
      const reply = await post(body)
      expect(reply.statusCode).toBe(400)
      expect(reply.json.message).toBe(
        "The team's token policy requires personal tokens to expire within 30 days (maxLifetimeDays).",
      )
      expect(reply.json.errors).toEqual([
        {
          description: 'expiresInDays',
          message:
            "outside the team's token policy (personal tokens to expire within 30 days (maxLifetimeDays))",
        },
      ])
    }
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1)
  })

  it('leaves a token without a policy maximum unexpiring unless asked', async () => {
    expect((await post({})).statusCode).toBe(200)
    expect(written()?.expiresAt).toBeUndefined()
    expect((await post({ expiresInDays: 3650 })).statusCode).toBe(200)
    expect(written()?.expiresAt).toBe(new Date(NOW.getTime() + 3650 * DAY_MS).toISOString())
  })
})

describe('scopes under allowedScopes and the role', () => {
  it("gives a member's unscoped request exactly the allowed scopes, reading the role once", async () => {
    policy({ allowedScopes: ['projects:read', 'servers:read'] })
    role('member')
    expect((await post({})).statusCode).toBe(200)
    expect(written()?.scopes).toEqual(['projects:read', 'servers:read'])
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { Key: USER_KEY })
  })

  it('refuses a member a scope outside them, naming it; takes those inside', async () => {
    policy({ allowedScopes: ['projects:read', 'servers:read'] })
    role('member')
    const outside = await post({ scopes: ['projects:read', 'tokens:read'] })
    expect(outside.statusCode).toBe(400)
    expect(outside.json.message).toBe(
      "The team's token policy requires members' tokens to hold only projects:read, servers:read (allowedScopes), not tokens:read.",
    )
    expect(outside.json.errors).toEqual([
      {
        description: 'scopes',
        message:
          "outside the team's token policy (members' tokens to hold only projects:read, servers:read (allowedScopes), not tokens:read)",
      },
    ])
    expect((await post({ scopes: ['servers:read'] })).statusCode).toBe(200)
    expect(written()?.scopes).toEqual(['servers:read'])
  })

  it('lets an admin past allowedScopes: unscoped stays unscoped', async () => {
    policy({ allowedScopes: ['projects:read'] })
    role('admin')
    expect((await post({})).statusCode).toBe(200)
    expect(written()?.scopes).toBeUndefined()
    expect((await post({ scopes: ['tokens:read'] })).statusCode).toBe(200)
    expect(written()?.scopes).toEqual(['tokens:read'])
  })

  it('refuses a user removed since authenticating, when the policy needs the role', async () => {
    policy({ allowedScopes: ['projects:read'] })
    role('removed')
    const reply = await post({})
    expect(reply.statusCode).toBe(401)
    expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand)
  })

  it('stores each requested scope once, in the order asked', async () => {
    expect(
      (await post({ scopes: ['servers:read', 'projects:read', 'servers:read'] })).statusCode,
    ).toBe(200)
    expect(written()?.scopes).toEqual(['servers:read', 'projects:read'])
    // No policy and no admin-only scope: the role is never read.
    expect(ddb).not.toHaveReceivedCommandWith(GetCommand, { Key: USER_KEY })
  })

  it("refuses a member's token an admin-only scope, naming it; gives it an admin", async () => {
    role('member')
    const reply = await post({ scopes: ['projects:write'] })
    expect(reply.statusCode).toBe(403)
    expect(reply.json.message).toBe("A member's token cannot hold the scope projects:write.")
    role('admin')
    expect((await post({ scopes: ['projects:write'] })).statusCode).toBe(200)
    role('removed')
    expect((await post({ scopes: ['projects:write'] })).statusCode).toBe(401)
  })
})

describe('the name and the id', () => {
  it('stores the name in NFC, so one name typed two ways is one name', async () => {
    expect((await post({ name: 'cafe\u0301' })).statusCode).toBe(200)
    expect(written()?.name).toBe('caf\u00e9')
  })

  it('gives up after three ids revoked by delete-alls meanwhile, with no token written', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('None', 'None', 'ConditionalCheckFailed'))
    // Each refusal's read of the user item's mirror: the mark is past every id taken.
    ddb.on(GetCommand, { Key: USER_KEY }).resolves({ Item: { revokedThrough: 1_000_000 } })
    const reply = await post({})
    expect(reply.statusCode).toBe(500)
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 3)
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 3)
  })

  it('refuses a user removed since authenticating (no id to take) with the 401', async () => {
    ddb.on(UpdateCommand).rejects(awsError('ConditionalCheckFailedException'))
    const reply = await post({})
    expect(reply.statusCode).toBe(401)
    expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand)
  })
})

describe('a rotation’s grace period', () => {
  const rotateWith = (expireOldInSeconds?: number) =>
    invoke(rotate, {
      method: 'POST',
      url: '/api/tokens/7/rotate',
      token: caller.token,
      params: { tokenId: '7' },
      ...(expireOldInSeconds !== undefined && { body: { expireOldInSeconds } }),
    })

  it('keeps the old secret for exactly the seconds asked, and not at all for 0', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { ...caller.item } })
    expect((await rotateWith(90)).statusCode).toBe(200)
    const graced = ddb.commandCalls(UpdateCommand).at(-1)?.args[0].input
    expect(graced?.ExpressionAttributeValues?.[':until']).toBe(
      new Date(NOW.getTime() + 90_000).toISOString(),
    )
    expect((await rotateWith(0)).statusCode).toBe(200)
    const ungraced = ddb.commandCalls(UpdateCommand).at(-1)?.args[0].input
    expect(ungraced?.ExpressionAttributeValues?.[':until']).toBeUndefined()
  })
})

describe('what a made token is', () => {
  it("is the owner's own token under the id taken, and a rotation's new one too", async () => {
    const made = await post({})
    expect(made.statusCode).toBe(200)
    expect(parsePersonalToken(made.json.accessKey)).toMatchObject({
      team: 'acme',
      username: 'alice',
      id: 8,
    })
    ddb.on(UpdateCommand).resolves({ Attributes: { ...caller.item } })
    const rotated = await invoke(rotate, {
      method: 'POST',
      url: '/api/tokens/7/rotate',
      token: caller.token,
      params: { tokenId: '7' },
    })
    expect(rotated.statusCode).toBe(200)
    expect(parsePersonalToken(rotated.json.accessKey)).toMatchObject({
      team: 'acme',
      username: 'alice',
      id: 7,
    })
  })

  it('answers 404 naming the token for a rotation or delete of none', async () => {
    const notFound = { code: 'resource_does_not_exist', message: 'The token does not exist.' }
    const missing = await invoke(rotate, {
      method: 'POST',
      url: '/api/tokens/5/rotate',
      token: caller.token,
      params: { tokenId: '5' },
    })
    expect(missing.statusCode).toBe(404)
    expect(missing.json).toMatchObject(notFound)
    // Found, then gone before its rotation's write.
    ddb.on(UpdateCommand).rejects(awsError('ConditionalCheckFailedException'))
    const raced = await invoke(rotate, {
      method: 'POST',
      url: '/api/tokens/7/rotate',
      token: caller.token,
      params: { tokenId: '7' },
    })
    expect(raced.statusCode).toBe(404)
    expect(raced.json).toMatchObject(notFound)
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'))
    const gone = await invoke(remove, {
      method: 'DELETE',
      url: '/api/tokens/5',
      token: caller.token,
      params: { tokenId: '5' },
    })
    expect(gone.statusCode).toBe(404)
    expect(gone.json).toMatchObject(notFound)
  })

  it('answers 409 naming the name taken', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('None', 'ConditionalCheckFailed', 'None'))
    ddb.on(GetCommand, { Key: keys.tokenRevocation('acme', 'alice') }).resolves({})
    const reply = await post({})
    expect(reply.statusCode).toBe(409)
    expect(reply.json.message).toBe('A token named "ci" already exists for this user.')
  })
})

describe('the quota', () => {
  it('recounts once only: a second refusal after a recount that found room is the 403', async () => {
    policy({ maxTokensPerUser: 3 })
    ddb.on(GetCommand, { Key: USER_KEY }).resolves({ Item: { tokenCount: 3 } })
    ddb.on(QueryCommand).resolves({
      Items: [
        { kind: 'AccessToken', id: 1 },
        { kind: 'AccessToken', id: 2 },
      ],
    })
    // Full at the write, room at the recount, full again (a concurrent create took it).
    ddb.on(TransactWriteCommand).rejects(cancelled('None', 'None', 'ConditionalCheckFailed'))
    const reply = await post({})
    expect(reply.statusCode).toBe(403)
    expect(reply.json).toMatchObject({
      code: 'quota_exceeded',
      message:
        "This user holds 3 personal tokens, the most the team's token policy allows (maxTokensPerUser); delete one first.",
    })
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 1)
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 2)
  })
  it('counts first for a user made before the count, never from zero', async () => {
    policy({ maxTokensPerUser: 3 })
    ddb.on(GetCommand, { Key: USER_KEY }).resolves({ Item: {} }) // no tokenCount at all
    const held = [1, 2].map((id) => storedToken({ id }).item)
    ddb.on(QueryCommand).resolves({ Items: held })
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled('None', 'None', 'ConditionalCheckFailed'))
      .resolves({})
    const reply = await post({})
    expect(reply.statusCode).toBe(200)
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      Key: USER_KEY,
      UpdateExpression: 'SET tokenCount = :count, tokenBytes = :bytes',
      ConditionExpression:
        'attribute_exists(PK) AND attribute_not_exists(tokenCount) AND attribute_not_exists(tokenBytes)',
      ExpressionAttributeValues: {
        ':count': 2,
        ':bytes': held.reduce((sum, item) => sum + listedBytes(AccessToken.decode(item)), 0),
      },
    })
  })

  it('refuses a user made before the count who holds the quota already, counting them', async () => {
    policy({ maxTokensPerUser: 3 })
    ddb.on(GetCommand, { Key: USER_KEY }).resolves({ Item: {} })
    ddb.on(QueryCommand).resolves({
      Items: [1, 2, 3].map((id) => ({ kind: 'AccessToken', id })),
    })
    ddb.on(TransactWriteCommand).rejects(cancelled('None', 'None', 'ConditionalCheckFailed'))
    const full = await post({})
    expect(full.statusCode).toBe(403)
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      Key: USER_KEY,
      ExpressionAttributeValues: expect.objectContaining({ ':count': 3 }),
    })
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1)
  })
})

describe('the role a token maker brings', () => {
  it("takes a service token's role for an admin-only scope, reading no user", async () => {
    role('member') // the stored role, which a service token's own must win over
    const admin = await post({ scopes: ['projects:write'] }, await serviceToken('admin'))
    expect(admin.statusCode).toBe(200)
    const member = await post({ scopes: ['projects:write'] }, await serviceToken('member'))
    expect(member.statusCode).toBe(403)
    expect(ddb).not.toHaveReceivedCommandWith(GetCommand, { Key: USER_KEY })
  })
})

describe('authentication edges', () => {
  const listAs = (token: string) => invoke(list, { method: 'GET', url: '/api/tokens', token })

  it('writes lastUsed when a full minute has passed, not a millisecond before', async () => {
    for (const [ago, writes] of [
      [60_000, 1],
      [59_999, 0],
    ] as const) {
      ddb.resetHistory()
      const stored = storedToken({ lastUsed: new Date(NOW.getTime() - ago).toISOString() })
      ddb.on(QueryCommand).resolves({ Items: [stored.item] })
      expect((await listAs(stored.token)).statusCode).toBe(200)
      expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, writes)
    }
  })

  it("finds the caller's token anywhere in the listing page", async () => {
    const early = storedToken({ id: 3, lastUsed: NOW.toISOString() })
    const own = storedToken({ id: 7, lastUsed: NOW.toISOString() })
    ddb.on(QueryCommand).resolves({ Items: [early.item, own.item] })
    const reply = await listAs(own.token)
    expect(reply.statusCode).toBe(200)
    expect(reply.json.tokens.map((token: { id: number }) => token.id)).toEqual([3, 7])
  })

  it("refuses another team's token even where this team holds its very secret", async () => {
    // The verifying team's partition has a record at the same user and id, and (as
    // it never would) the same secret's hash: it is still not the token presented.
    const foreign = storedToken({ team: 'globex', username: 'alice', id: 7 })
    const local = { ...storedToken({ team: 'acme', username: 'alice', id: 7 }).item }
    local.secretHash = foreign.item.secretHash
    ddb.on(BatchGetCommand).callsFake(tokenLookup(local))
    const reply = await invoke(verify, {
      method: 'POST',
      url: '/v1/teams/acme/tokens/verify',
      token: await serviceToken('admin'),
      params: { team: 'acme' },
      body: { token: foreign.token },
      routeKey: 'POST /v1/teams/{team}/tokens/verify',
    })
    expect(reply.statusCode).toBe(200)
    expect(reply.json).toEqual({ valid: false, code: 'NOT_FOUND' })
  })
})
