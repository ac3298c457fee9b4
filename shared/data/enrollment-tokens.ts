import { GetCommand } from '@aws-sdk/lib-dynamodb'
import { db, tableName } from './client.js'
import { keys, ranges } from './keys.js'
import { readRange } from './page.js'
import { putTombstone } from './tombstones.js'
import { transact } from './transact.js'

export interface EnrollmentTokenRecord {
  team: string
  project: string
  id: string
  description: string
  createdBy: string
  issuedAt: string
  expiresAt: string | null
  maxUses: number | null
  uses: number
  lastUsedAt: string | null
  /** SHA-256 of the secret `s`: what verification compares. */
  secretHash: string
  /** The whole token, sealed (AES-256-GCM), because fetch returns it again. */
  sealed: string
}

const str = (value: unknown) => (typeof value === 'string' ? value : null)

function fromItem(item: Record<string, unknown>): EnrollmentTokenRecord {
  return {
    team: String(item.team),
    project: String(item.project),
    id: String(item.id),
    description: String(item.description),
    createdBy: String(item.createdBy),
    issuedAt: String(item.issuedAt),
    expiresAt: str(item.expiresAt),
    maxUses: typeof item.maxUses === 'number' ? item.maxUses : null,
    uses: Number(item.uses ?? 0),
    lastUsedAt: str(item.lastUsedAt),
    secretHash: String(item.secretHash),
    sealed: String(item.sealed),
  }
}

/** A project that exists and is not being deleted: new children may join it. */
export const projectOpen = (team: string, project: string) => ({
  ConditionCheck: {
    TableName: tableName,
    Key: keys.project(team, project),
    ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(deleting)',
  },
})

/** Stores a new token in an open project; false when the project is missing or closing. */
export async function putEnrollmentToken(token: EnrollmentTokenRecord): Promise<boolean> {
  const epoch = token.expiresAt ? Math.ceil(Date.parse(token.expiresAt) / 1000) : undefined
  // Refused: the project is missing or closing (the id is new).
  const refused = await transact([
    projectOpen(token.team, token.project),
    {
      Put: {
        TableName: tableName,
        Item: {
          ...keys.enrollmentToken(token.team, token.project, token.id),
          kind: 'EnrollmentToken',
          ...token,
          // Absent, not null: the enrollment condition tests for their absence.
          expiresAt: token.expiresAt ?? undefined,
          maxUses: token.maxUses ?? undefined,
          lastUsedAt: undefined,
          // Cleaned up a day after expiry; expiry itself is checked on use.
          ttl: epoch === undefined ? undefined : epoch + 86_400,
        },
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    },
  ])
  return !refused
}

export async function getEnrollmentToken(team: string, project: string, id: string) {
  const { Item } = await db.send(
    new GetCommand({
      TableName: tableName,
      Key: keys.enrollmentToken(team, project, id),
      ConsistentRead: true,
    }),
  )
  return Item ? fromItem(Item) : undefined
}

/** One page of a project's enrollment tokens, oldest first (ids are UUID v7). */
export async function listEnrollmentTokens(
  team: string,
  project: string,
  count: number,
  after?: string,
) {
  const { items, last } = await readRange(ranges.enrollmentTokens(team, project), count, after)
  return { items: items.map(fromItem), last }
}

/** Deletes a token and records who did; false when there was none. */
export async function deleteEnrollmentToken(
  team: string,
  project: string,
  id: string,
  deletedBy: string,
  deletedAt: string,
): Promise<boolean> {
  const key = keys.enrollmentToken(team, project, id)
  const refused = await transact([
    {
      Delete: { TableName: tableName, Key: key, ConditionExpression: 'attribute_exists(PK)' },
    },
    putTombstone(key, { entity: 'EnrollmentToken', team, project, id, deletedBy, deletedAt }),
  ])
  return !refused
}
