import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb'
import { db, tableName } from './client.js'
import { isConditionFailed } from './errors.js'
import { keys, ranges } from './keys.js'
import { readRange } from './page.js'

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
  return { projects: items.map(fromItem), last }
}

/** Deletes a project; false when there was none. */
export async function deleteProject(team: string, name: string): Promise<boolean> {
  try {
    await db.send(
      new DeleteCommand({
        TableName: tableName,
        Key: keys.project(team, name),
        ConditionExpression: 'attribute_exists(PK)',
      }),
    )
    return true
  } catch (error) {
    if (isConditionFailed(error)) return false
    throw error
  }
}
