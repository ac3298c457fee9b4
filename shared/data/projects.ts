import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { type WriteRequest, writeAll } from './batch.js'
import { db, tableName } from './client.js'
import { isConditionFailed } from './errors.js'
import { type Key, keys, type Range, ranges } from './keys.js'
import { rangePages, readRange } from './page.js'
import { type DeletedEntity, putTombstone, tombstoneItem } from './tombstones.js'
import { transact } from './transact.js'

export interface ProjectRecord {
  team: string
  name: string
  createdAt: string
  /** Who created it, for the change stream's events. */
  createdBy: string
}

const fromItem = (item: Record<string, unknown>): ProjectRecord => ({
  team: String(item.team),
  name: String(item.name),
  createdAt: String(item.createdAt),
  createdBy: String(item.createdBy),
})

/** Creates a project; false when one of that name exists already. */
export async function putProject(project: ProjectRecord): Promise<boolean> {
  try {
    await db.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...keys.project(project.team, project.name), kind: 'Project', ...project },
        ConditionExpression: 'attribute_not_exists(PK)',
      }),
    )
    return true
  } catch (error) {
    if (isConditionFailed(error)) return false
    throw error
  }
}

export async function getProject(team: string, name: string): Promise<ProjectRecord | undefined> {
  const { Item } = await db.send(
    new GetCommand({ TableName: tableName, Key: keys.project(team, name), ConsistentRead: true }),
  )
  return Item ? fromItem(Item) : undefined
}

/** One page of a team's projects, by name. */
export async function listProjects(team: string, count: number, after?: string) {
  const { items, last } = await readRange(ranges.projects(team), count, after)
  return { items: items.map(fromItem), last }
}

/**
 * Closes a project to new enrollment tokens and servers, first step of deleting it
 * (the first close's time is kept, so a retried delete resumes). False when none.
 */
export async function closeProject(team: string, name: string, at: string): Promise<boolean> {
  try {
    await db.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.project(team, name),
        UpdateExpression: 'SET deleting = if_not_exists(deleting, :at)',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: { ':at': at },
      }),
    )
    return true
  } catch (error) {
    if (isConditionFailed(error)) return false
    throw error
  }
}

const CHILDREN: [DeletedEntity, (team: string, project: string) => Range][] = [
  ['EnrollmentToken', ranges.enrollmentTokens],
  ['Server', ranges.servers],
]

/**
 * Deletes a closed project's enrollment tokens and servers, a page at a time, each
 * with its deletion record (servers' tokens answer "revoked"). Resumable: whatever
 * an interrupted run deleted is simply not found by the next. Returns the count.
 */
export async function deleteProjectChildren(
  team: string,
  project: string,
  deletedBy: string,
  deletedAt: string,
): Promise<number> {
  let deleted = 0
  for (const [entity, range] of CHILDREN) {
    for await (const page of rangePages(range(team, project), 'PK, SK, id, secretHash')) {
      const requests: WriteRequest[] = (page.Items ?? []).flatMap((item) => {
        const key: Key = { PK: String(item.PK), SK: String(item.SK) }
        const secretHash = entity === 'Server' ? String(item.secretHash) : undefined
        const deletion = {
          entity,
          team,
          project,
          id: String(item.id),
          deletedBy,
          deletedAt,
          secretHash,
        }
        return [
          { DeleteRequest: { Key: key } },
          { PutRequest: { Item: tombstoneItem(key, deletion) } },
        ]
      })
      await writeAll(requests)
      deleted += requests.length / 2
    }
  }
  return deleted
}

/** Deletes the project item itself, last, with its deletion record; false when gone. */
export async function deleteProjectRecord(
  team: string,
  name: string,
  deletedBy: string,
  deletedAt: string,
): Promise<boolean> {
  const key = keys.project(team, name)
  const refused = await transact([
    {
      Delete: { TableName: tableName, Key: key, ConditionExpression: 'attribute_exists(PK)' },
    },
    putTombstone(key, { entity: 'Project', team, project: name, deletedBy, deletedAt }),
  ])
  return !refused
}
