import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { db, tableName } from './client.js'
import { projectOpen } from './enrollment-tokens.js'
import { isConditionFailed } from './errors.js'
import { keys, ranges } from './keys.js'
import { readRange } from './page.js'
import { putTombstone } from './tombstones.js'
import { transact } from './transact.js'

export interface ServerRecord {
  team: string
  project: string
  id: string
  hostname: string
  os: string | null
  canonicalName: string | null
  instanceDetails: Record<string, unknown> | null
  enrollmentTokenId: string
  registeredAt: string
  lastSeen: string | null
  /** SHA-256 of the server token's secret. */
  secretHash: string
}

const str = (value: unknown) => (typeof value === 'string' ? value : null)

function fromItem(item: Record<string, unknown>): ServerRecord {
  return {
    team: String(item.team),
    project: String(item.project),
    id: String(item.id),
    hostname: String(item.hostname),
    os: str(item.os),
    canonicalName: str(item.canonicalName),
    instanceDetails:
      item.instanceDetails && typeof item.instanceDetails === 'object'
        ? (item.instanceDetails as Record<string, unknown>)
        : null,
    enrollmentTokenId: String(item.enrollmentTokenId),
    registeredAt: String(item.registeredAt),
    lastSeen: str(item.lastSeen),
    secretHash: String(item.secretHash),
  }
}

/**
 * Enrolls a server with one transaction: the enrollment token's use is counted
 * (only while it exists, matches, is unexpired and has uses left), the server is
 * written, and the project is checked open. All or nothing, so concurrent
 * enrollments never exceed `max_uses` and a crash never consumes a use without a
 * server. Concurrent transactions on one token may be cancelled as conflicts; those
 * are retried with jitter. False when a condition refuses it.
 */
export async function enrollServer(
  server: ServerRecord,
  token: { secretHash: string },
  now: string,
): Promise<boolean> {
  const { team, project } = server
  // Refused: the token is gone, expired or used up, or the project is closing.
  const refused = await transact([
    {
      Update: {
        TableName: tableName,
        Key: keys.enrollmentToken(team, project, server.enrollmentTokenId),
        UpdateExpression: 'SET uses = uses + :one, lastUsedAt = :now',
        ConditionExpression:
          'secretHash = :hash AND (attribute_not_exists(maxUses) OR uses < maxUses) AND (attribute_not_exists(expiresAt) OR expiresAt > :now)',
        ExpressionAttributeValues: { ':one': 1, ':now': now, ':hash': token.secretHash },
      },
    },
    {
      Put: {
        TableName: tableName,
        Item: {
          ...keys.server(team, project, server.id),
          kind: 'Server',
          ...server,
          lastSeen: undefined,
        },
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    },
    projectOpen(team, project),
  ])
  return !refused
}

export async function getServer(team: string, project: string, id: string) {
  const { Item } = await db.send(
    new GetCommand({
      TableName: tableName,
      Key: keys.server(team, project, id),
      ConsistentRead: true,
    }),
  )
  return Item ? fromItem(Item) : undefined
}

/** The revocation record of a deleted server's token, if it was deleted recently. */
export async function getRevokedServerHash(team: string, project: string, id: string) {
  const { Item } = await db.send(
    new GetCommand({
      TableName: tableName,
      Key: keys.tombstone(keys.server(team, project, id)),
      ConsistentRead: true,
    }),
  )
  return typeof Item?.secretHash === 'string' ? Item.secretHash : undefined
}

export async function listServers(team: string, project: string, count: number, after?: string) {
  const { items, last } = await readRange(ranges.servers(team, project), count, after)
  return { items: items.map(fromItem), last }
}

/** Records the agent's heartbeat if `secretHash` is the server's, in one conditional write. */
export async function touchServer(
  team: string,
  project: string,
  id: string,
  secretHash: string,
  now: string,
): Promise<'touched' | 'wrong secret' | 'no such server'> {
  try {
    await db.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.server(team, project, id),
        UpdateExpression: 'SET lastSeen = :now',
        ConditionExpression: 'secretHash = :hash',
        ExpressionAttributeValues: { ':now': now, ':hash': secretHash },
        // Tells "another secret" from "no server" without a second read.
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    )
    return 'touched'
  } catch (error) {
    if (!isConditionFailed(error)) throw error
    const found = (error as { Item?: unknown }).Item
    return found ? 'wrong secret' : 'no such server'
  }
}

/**
 * Deletes a server and records the deletion (who, and its token's hash, so that
 * token is answered `server_authorization_revoked`). False when there was none.
 */
export async function deleteServer(
  server: ServerRecord,
  deletedBy: string,
  deletedAt: string,
): Promise<boolean> {
  const { team, project, id, secretHash } = server
  const key = keys.server(team, project, id)
  const refused = await transact([
    {
      Delete: { TableName: tableName, Key: key, ConditionExpression: 'attribute_exists(PK)' },
    },
    putTombstone(key, {
      entity: 'Server',
      team,
      project,
      id,
      deletedBy,
      deletedAt,
      secretHash,
    }),
  ])
  return !refused
}
