import { table } from './client.js'
import { EnrollmentToken } from './entities.js'
import type { RecordOf } from './entity.js'
import { keys, ranges } from './keys.js'
import { readRange } from './page.js'
import { getProjectChild } from './projects.js'
import { type NewSecret, rotation } from './rotation.js'
import { putTombstone } from './tombstones.js'
import { transact } from './transact.js'

export type EnrollmentTokenRecord = RecordOf<typeof EnrollmentToken.attributes>

/** A project that exists and is not being deleted: new children may join it. */
export const projectOpen = (team: string, project: string) => ({
  ConditionCheck: {
    TableName: table(),
    Key: keys.project(team, project),
    ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(deleting)',
  },
})

/** Stores a new token in an open project; false when the project is missing or closing. */
export async function putEnrollmentToken(token: EnrollmentTokenRecord): Promise<boolean> {
  const refused = await transact([
    projectOpen(token.team, token.project),
    {
      Put: {
        TableName: table(),
        Item: EnrollmentToken.item({ ...token, lastUsedAt: null }),
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    },
  ])
  return !refused
}

/** A token and whether its project is open (one BatchGetItem with the project). */
export async function readEnrollmentToken(team: string, project: string, id: string) {
  const key = keys.enrollmentToken(team, project, id)
  const { item, open } = await getProjectChild(team, project, key)
  return { token: item && EnrollmentToken.decode(item), open }
}

/** A token of an open project (one BatchGetItem with the project: getProjectChild). */
export async function getEnrollmentToken(team: string, project: string, id: string) {
  const { token, open } = await readEnrollmentToken(team, project, id)
  return open ? token : undefined
}

/** One page of a project's enrollment tokens, oldest first (ids are UUID v7). */
export async function listEnrollmentTokens(
  team: string,
  project: string,
  count: number,
  after?: string,
) {
  const { items, last } = await readRange(ranges.enrollmentTokens(team, project), count, after)
  return { items: items.map(EnrollmentToken.decode), last }
}

/** Deletes a token and records who did; undefined when deleted, else why not. */
export async function deleteEnrollmentToken(
  team: string,
  project: string,
  id: string,
  deletedBy: string,
  deletedAt: string,
): Promise<ChildRefused | undefined> {
  const key = keys.enrollmentToken(team, project, id)
  const refused = await transact([
    {
      Delete: { TableName: table(), Key: key, ConditionExpression: 'attribute_exists(PK)' },
    },
    putTombstone(key, { entity: 'EnrollmentToken', team, project, id, deletedBy, deletedAt }),
    projectOpen(team, project),
  ])
  if (!refused) return undefined
  return refused[2] === 'ConditionalCheckFailed' ? 'project' : 'child'
}

/** Why a write to a project's child was refused: its project is not open, or it is gone. */
export type ChildRefused = 'project' | 'child'

/**
 * Rotates an enrollment token's secret in one transaction with its project open, as
 * every write to a project's children is: a project being deleted takes no new
 * secret. Undefined when written.
 */
export async function rotateEnrollmentToken(
  team: string,
  project: string,
  id: string,
  secret: NewSecret,
): Promise<ChildRefused | undefined> {
  const { UpdateExpression, ExpressionAttributeValues } = rotation(secret)
  const refused = await transact([
    projectOpen(team, project),
    {
      Update: {
        TableName: table(),
        Key: keys.enrollmentToken(team, project, id),
        UpdateExpression,
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues,
      },
    },
  ])
  if (!refused) return undefined
  return refused[0] === 'ConditionalCheckFailed' ? 'project' : 'child'
}

export const enrollmentTokenFromItem = (item: Record<string, unknown>) =>
  EnrollmentToken.decode(item)
