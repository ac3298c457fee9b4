import { UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { db, table } from './client.js'
import { EnrollmentToken } from './entities.js'
import type { RecordOf } from './entity.js'
import { isConditionFailed } from './errors.js'
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

/** A token of an open project (one BatchGetItem with the project: getProjectChild). */
export async function getEnrollmentToken(team: string, project: string, id: string) {
  const key = keys.enrollmentToken(team, project, id)
  const { item, open } = await getProjectChild(team, project, key)
  return item && open ? EnrollmentToken.decode(item) : undefined
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

/** Deletes a token and records who did; false when there was none, or its project is being deleted. */
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
      Delete: { TableName: table(), Key: key, ConditionExpression: 'attribute_exists(PK)' },
    },
    putTombstone(key, { entity: 'EnrollmentToken', team, project, id, deletedBy, deletedAt }),
    projectOpen(team, project),
  ])
  return !refused
}

/** Rotates an enrollment token's secret: one UpdateItem; undefined when there is none. */
export async function rotateEnrollmentToken(
  team: string,
  project: string,
  id: string,
  secret: NewSecret,
): Promise<EnrollmentTokenRecord | undefined> {
  const { UpdateExpression, ExpressionAttributeValues } = rotation(secret)
  try {
    const { Attributes } = await db().send(
      new UpdateCommand({
        TableName: table(),
        Key: keys.enrollmentToken(team, project, id),
        UpdateExpression,
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues,
        ReturnValues: 'ALL_NEW',
      }),
    )
    return Attributes ? EnrollmentToken.decode(Attributes) : undefined
  } catch (error) {
    if (isConditionFailed(error)) return undefined
    throw error
  }
}

export const enrollmentTokenFromItem = (item: Record<string, unknown>) =>
  EnrollmentToken.decode(item)
