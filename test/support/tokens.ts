import type { BatchGetCommandInput } from '@aws-sdk/lib-dynamodb'
import { keys } from '../../shared/data/keys.js'
import { sha256 } from '../../shared/tokens/crypto.js'
import { issuePersonalToken } from '../../shared/tokens/personal-token.js'

/**
 * A user's item as DynamoDB holds it (no password, no token count), for mocked reads of
 * a caller's role. Written out, not built with the code under test's entity.
 */
export const storedUser = (team: string, username: string, role: 'admin' | 'member') => ({
  ...keys.user(team, username),
  kind: 'User',
  team,
  username,
  role,
  mfaEnabled: false,
  createdAt: '2026-11-01T00:00:00.000Z',
})

/** A token and the item DynamoDB would hold for it, for mocked reads. */
export function storedToken(
  options: {
    team?: string
    username?: string
    id?: number
    lastUsed?: string
    expiresAt?: string
    scopes?: string[]
    meta?: Record<string, unknown>
    rateLimit?: { limit: number; windowSeconds: number }
  } = {},
) {
  const { team = 'acme', username = 'alice', id = 7 } = options
  const { token, secret } = issuePersonalToken({ team, username, id })
  const item = {
    ...keys.accessToken(team, username, id),
    kind: 'AccessToken',
    team,
    username,
    id,
    name: `token ${id}`,
    secretHash: sha256(secret),
    dateCreated: '2026-11-01T00:00:00.000Z',
    ...(options.lastUsed && { lastUsed: options.lastUsed }),
    ...(options.expiresAt && { expiresAt: options.expiresAt }),
    ...(options.scopes && { scopes: options.scopes }),
    ...(options.meta && { meta: JSON.stringify(options.meta) }),
    ...(options.rateLimit && { rateLimit: options.rateLimit }),
  }
  /** Its user's item with this role, as a route that checks a role reads it with the token. */
  const user = (role: 'admin' | 'member' = 'member') => storedUser(team, username, role)
  return { token, secret, item, user, key: keys.accessToken(team, username, id) }
}

/**
 * Answers a mocked token lookup (one BatchGetItem: the token and its user's revocation
 * mark) from `items`: each key asked for gets the item stored under it, if any.
 */
export const tokenLookup =
  (...items: Record<string, unknown>[]) =>
  (input: BatchGetCommandInput) => {
    const [table, request] = Object.entries(input.RequestItems ?? {})[0] ?? []
    const found = (request?.Keys ?? []).flatMap((key) =>
      items.filter((item) => item.PK === key.PK && item.SK === key.SK),
    )
    return { Responses: table ? { [table]: found } : {} }
  }

/**
 * The exact UpdateItem that counts a request of alice's token 7 (acme) in its window,
 * written out (not derived from the code under test); `claim`: the lastUsed interval it
 * claims, when the token's lastUsed was due.
 */
export function rateCountWrite(rule: {
  window: number
  windowSeconds: number
  limit: number
  claim?: number
}) {
  const { window, windowSeconds, limit, claim } = rule
  const ttl = (window + 1) * windowSeconds + 60
  return {
    TableName: 'latchkey-unit',
    Key: { PK: 'TEAM#acme#USER#alice', SK: `RATE#0000000000000007#${window}` },
    UpdateExpression: `SET #a0 = :a0, #a1 = :a1, #a2 = :a2, #a3 = :a3, #a4 = :a4, #a5 = :a5, #a6 = :a6${
      claim === undefined ? '' : ', #a7 = :a7'
    } ADD used :one`,
    ConditionExpression: 'attribute_not_exists(used) OR used < :limit',
    ExpressionAttributeNames: {
      '#a0': 'kind',
      '#a1': 'team',
      '#a2': 'username',
      '#a3': 'tokenId',
      '#a4': 'window',
      '#a5': 'windowSeconds',
      ...(claim === undefined ? { '#a6': 'ttl' } : { '#a6': 'lastUsedClaim', '#a7': 'ttl' }),
    },
    ExpressionAttributeValues: {
      ':a0': 'RateWindow',
      ':a1': 'acme',
      ':a2': 'alice',
      ':a3': 7,
      ':a4': window,
      ':a5': windowSeconds,
      ...(claim === undefined ? { ':a6': ttl } : { ':a6': claim, ':a7': ttl }),
      ':one': 1,
      ':limit': limit,
    },
    ReturnValues: 'UPDATED_OLD' as const,
  }
}
