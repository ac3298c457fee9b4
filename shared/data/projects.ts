import { GetCommand, PutCommand, paginateQuery, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { uuidV7 } from '../tokens/uuid.js'
import { type WriteRequest, writeAll } from './batch.js'
import { db, table } from './client.js'
import { PROJECT_CHILDREN, Project } from './entities.js'
import type { RecordOf } from './entity.js'
import { isConditionFailed } from './errors.js'
import { type Key, keys, projectChildren, ranges } from './keys.js'
import { type RangeOptions, readRange } from './page.js'
import type { ProjectSettingName, StoredSettings } from './project-settings.js'
import { type DeletedEntity, putTombstone, tombstoneItem } from './tombstones.js'
import { transact } from './transact.js'

export type ProjectRecord = RecordOf<typeof Project.attributes>

/** A new project: what the caller knows; the rest starts empty. */
export type NewProject = Pick<ProjectRecord, 'team' | 'name' | 'createdAt' | 'createdBy'> &
  Partial<Pick<ProjectRecord, 'id' | 'settings'>>

/** Creates a project; false when one of that name exists already. */
export async function putProject(project: NewProject): Promise<boolean> {
  try {
    await db().send(
      new PutCommand({
        TableName: table(),
        Item: Project.item({
          settings: {},
          ...project,
          id: project.id ?? uuidV7(),
          version: null,
          deleting: null,
          updatedAt: null,
          updatedBy: null,
        }),
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
  const { Item } = await db().send(
    new GetCommand({ TableName: table(), Key: keys.project(team, name), ConsistentRead: true }),
  )
  return Item ? Project.decode(Item) : undefined
}

export interface SettingsUpdate {
  /** Settings to set, and settings to unset (back to their defaults). */
  set: StoredSettings
  unset: ProjectSettingName[]
  /** The project's id, stored now if the project predates stored ids. */
  id: string
  /** The version the change was computed from; the write fails if another came first. */
  version?: number
  updatedAt: string
  updatedBy: string
}

/**
 * Changes a project's settings in one conditional UpdateItem. False when the project
 * is gone, being deleted, or was updated since `version` was read (the caller reads
 * again and retries). `updatedAt`/`updatedBy` feed the ProjectUpdated event.
 */
export async function updateProjectSettings(
  team: string,
  name: string,
  update: SettingsUpdate,
): Promise<boolean> {
  const names: Record<string, string> = {
    '#id': 'id',
    '#version': 'version',
    '#updatedAt': 'updatedAt',
    '#updatedBy': 'updatedBy',
    '#deleting': 'deleting',
  }
  const values: Record<string, unknown> = {
    ':id': update.id,
    ':next': (update.version ?? 0) + 1,
    ':at': update.updatedAt,
    ':by': update.updatedBy,
  }
  const sets = ['#id = if_not_exists(#id, :id)', '#version = :next']
  sets.push('#updatedAt = :at', '#updatedBy = :by')
  for (const [setting, value] of Object.entries(update.set)) {
    names[`#${setting}`] = setting
    values[`:${setting}`] = value
    sets.push(`#${setting} = :${setting}`)
  }
  for (const setting of update.unset) names[`#${setting}`] = setting
  const removes = update.unset.map((setting) => `#${setting}`)
  const current = update.version === undefined ? 'attribute_not_exists(#version)' : '#version = :v'
  if (update.version !== undefined) values[':v'] = update.version
  try {
    await db().send(
      new UpdateCommand({
        TableName: table(),
        Key: keys.project(team, name),
        UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: `attribute_exists(PK) AND attribute_not_exists(#deleting) AND ${current}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    )
    return true
  } catch (error) {
    if (isConditionFailed(error)) return false
    throw error
  }
}

/**
 * One page of a team's projects, by name (backward: from the end), optionally only
 * those whose name contains `contains` (a filtered page reads a bounded number of
 * projects: see readRange).
 */
export async function listProjects(
  team: string,
  count: number,
  after: string | undefined,
  options: { backward?: boolean; contains?: string } = {},
) {
  const read: RangeOptions = { backward: options.backward }
  if (options.contains)
    read.filter = {
      expression: 'contains(#name, :contains)',
      names: { '#name': 'name' },
      values: { ':contains': options.contains },
    }
  const { items, last } = await readRange(ranges.projects(team), count, after, read)
  return { items: items.map(Project.decode), last }
}

/**
 * Closes a project to new enrollment tokens and servers, first step of deleting it
 * (the first close's time is kept, so a retried delete resumes). False when none.
 */
export async function closeProject(team: string, name: string, at: string): Promise<boolean> {
  try {
    await db().send(
      new UpdateCommand({
        TableName: table(),
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

/** What a project owns, by the `kind` its items carry: deleted with it. */
const childKind = (kind: unknown): DeletedEntity | undefined =>
  PROJECT_CHILDREN.find((child) => child === kind)

/**
 * Deletes a closed project's enrollment tokens, servers and cloud accounts, a page
 * at a time (one Query pages through all of them), each with its deletion record
 * (servers' tokens answer "revoked"). Resumable: whatever an interrupted run deleted
 * is simply not found by the next. Returns the count.
 */
export async function deleteProjectChildren(
  team: string,
  project: string,
  deletedBy: string,
  deletedAt: string,
): Promise<number> {
  let deleted = 0
  const children = projectChildren(team, project)
  const pages = paginateQuery(
    { client: db() },
    {
      TableName: table(),
      KeyConditionExpression: 'PK = :pk AND SK < :before',
      ExpressionAttributeValues: { ':pk': children.PK, ':before': children.before },
      ProjectionExpression: 'PK, SK, id, secretHash, #kind',
      ExpressionAttributeNames: { '#kind': 'kind' },
      ConsistentRead: true,
    },
  )
  for await (const page of pages) {
    const requests: WriteRequest[] = (page.Items ?? []).flatMap((item) => {
      const entity = childKind(item.kind)
      if (!entity) return []
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
      Delete: { TableName: table(), Key: key, ConditionExpression: 'attribute_exists(PK)' },
    },
    putTombstone(key, { entity: 'Project', team, project: name, deletedBy, deletedAt }),
  ])
  return !refused
}
