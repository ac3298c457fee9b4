import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { getEach } from './batch.js'
import { db, table } from './client.js'
import { type CloudAccountRecord, cloudAccountStillThere } from './cloud-accounts.js'
import { projectOpen } from './enrollment-tokens.js'
import { Server, UsedAwsSignature } from './entities.js'
import type { RecordOf } from './entity.js'
import { isConditionFailed } from './errors.js'
import { keys, ranges } from './keys.js'
import { readRange } from './page.js'
import { getProjectChild } from './projects.js'
import { CURRENT_OR_IN_GRACE, type NewSecret, rotation } from './rotation.js'
import { putTombstone } from './tombstones.js'
import { transact } from './transact.js'

export type ServerRecord = RecordOf<typeof Server.attributes>

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
  token: { tokenId: string; secretHash: string },
  now: string,
): Promise<boolean> {
  const { team, project } = server
  // Refused: the token is gone, expired or used up, or the project is closing.
  const refused = await transact([
    {
      Update: {
        TableName: table(),
        Key: keys.enrollmentToken(team, project, token.tokenId),
        UpdateExpression: 'SET uses = uses + :one, lastUsedAt = :now',
        ConditionExpression: `${CURRENT_OR_IN_GRACE} AND (attribute_not_exists(maxUses) OR uses < maxUses) AND (attribute_not_exists(expiresAt) OR expiresAt > :now)`,
        ExpressionAttributeValues: { ':one': 1, ':now': now, ':hash': token.secretHash },
      },
    },
    putNewServer(server),
    projectOpen(team, project),
  ])
  return !refused
}

/** The new server's item: nulls left out, so the item holds only what it has. */
const putNewServer = (server: ServerRecord) => ({
  Put: {
    TableName: table(),
    Item: Server.item(server),
    ConditionExpression: 'attribute_not_exists(PK)',
  },
})

const SECRETLESS_REFUSALS = [
  'the server id is taken',
  'this signed request was used already',
  'the project is closed',
  'the cloud account was removed meanwhile',
]

/**
 * Enrolls a server whose cloud identity was proved, in one transaction: the server,
 * the signature's replay guard (kept until the signature expires; a guard still
 * there means a replay), the project open and the admitting account still there.
 * Answers undefined when written, else which condition refused it (for the logs).
 */
export async function enrollServerByAwsIdentity(
  server: ServerRecord,
  proof: { signatureHash: string; expiresAt: Date; account: CloudAccountRecord },
  now: Date,
): Promise<string | undefined> {
  const { team, project } = server
  const reasons = await transact([
    putNewServer(server),
    {
      Put: {
        TableName: table(),
        Item: UsedAwsSignature.item({
          signatureHash: proof.signatureHash,
          team,
          project,
          serverId: server.id,
          usedAt: now.toISOString(),
          expiresAt: proof.expiresAt.toISOString(),
        }),
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    },
    projectOpen(team, project),
    cloudAccountStillThere(proof.account),
  ])
  if (!reasons) return undefined
  const failed = reasons.indexOf('ConditionalCheckFailed')
  return SECRETLESS_REFUSALS[failed] ?? 'refused'
}

/**
 * A server and whether its project is open, in one BatchGetItem (getProjectChild): a
 * server of a project being deleted still reads, so its genuine token is told apart.
 */
export async function getServer(team: string, project: string, id: string) {
  const { item, open } = await getProjectChild(team, project, keys.server(team, project, id))
  return { server: item ? Server.decode(item) : undefined, open }
}

/** The revocation record of a deleted server's token, if it was deleted recently. */
export async function getRevokedServerHash(team: string, project: string, id: string) {
  const { Item } = await db().send(
    new GetCommand({
      TableName: table(),
      Key: keys.tombstone(keys.server(team, project, id)),
      ConsistentRead: true,
    }),
  )
  return revokedHashOf(Item)
}

const revokedHashOf = (item: Record<string, unknown> | undefined) =>
  typeof item?.secretHash === 'string' ? item.secretHash : undefined

/**
 * What a heartbeat reads before its write, in one BatchGetItem: whether the project is
 * open, the server as stored, and the hash on its deletion record if it was deleted.
 */
export async function serverStanding(team: string, project: string, id: string) {
  const serverKey = keys.server(team, project, id)
  const [parent, server, tombstone] = await getEach([
    keys.project(team, project),
    serverKey,
    keys.tombstone(serverKey),
  ])
  return {
    open: parent !== undefined && parent.deleting === undefined,
    server: server ? Server.decode(server) : undefined,
    revokedHash: revokedHashOf(tombstone),
  }
}

export async function listServers(team: string, project: string, count: number, after?: string) {
  const { items, last } = await readRange(ranges.servers(team, project), count, after)
  return { items: items.map(Server.decode), last }
}

/**
 * Records the agent's heartbeat if `secretHash` is the server's, in one conditional
 * write. False when refused: its one caller answers a wrong secret and a server gone
 * since its read alike (the plain 401), so the refusal asks for no old item back.
 */
export async function touchServer(
  team: string,
  project: string,
  id: string,
  secretHash: string,
  now: string,
): Promise<boolean> {
  try {
    await db().send(
      new UpdateCommand({
        TableName: table(),
        Key: keys.server(team, project, id),
        UpdateExpression: 'SET lastSeen = :now',
        ConditionExpression: CURRENT_OR_IN_GRACE,
        ExpressionAttributeValues: { ':now': now, ':hash': secretHash },
      }),
    )
    return true
  } catch (error) {
    if (isConditionFailed(error)) return false
    throw error
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
      Delete: { TableName: table(), Key: key, ConditionExpression: 'attribute_exists(PK)' },
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

/**
 * A server's new token secret, proved by its current one: one transaction, the
 * UpdateItem that succeeds only on the current hash (not an old one in its grace
 * period, which would otherwise hand its grace to the secret it was replaced by) and
 * the project checked open. 'project deleted' when only the project refused it (the
 * secret was the server's own); 'refused' otherwise (no server, or another secret).
 */
export async function rotateServerToken(
  team: string,
  project: string,
  id: string,
  presentedHash: string,
  secret: NewSecret,
): Promise<'rotated' | 'refused' | 'project deleted'> {
  const { UpdateExpression, ExpressionAttributeValues } = rotation(secret)
  const reasons = await transact([
    {
      Update: {
        TableName: table(),
        Key: keys.server(team, project, id),
        UpdateExpression,
        ConditionExpression: 'secretHash = :hash',
        ExpressionAttributeValues: { ...ExpressionAttributeValues, ':hash': presentedHash },
      },
    },
    projectOpen(team, project),
  ])
  if (!reasons) return 'rotated'
  return reasons[0] === 'ConditionalCheckFailed' ? 'refused' : 'project deleted'
}

export const serverFromItem = (item: Record<string, unknown>) => Server.decode(item)
