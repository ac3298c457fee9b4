import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { uuidV7 } from '../tokens/uuid.js'
import { getEach, type WriteRequest, writeAll } from './batch.js'
import { db, table } from './client.js'
import { PROJECT_CHILDREN, Project } from './entities.js'
import type { RecordOf } from './entity.js'
import { isConditionFailed, refusedText } from './errors.js'
import { type Key, keys, projectChildren, ranges } from './keys.js'
import { type RangeOptions, readRange } from './page.js'
import type { ProjectSettingName, StoredSettings } from './project-settings.js'
import { type DeletedEntity, type Deletion, putTombstone, tombstoneItem } from './tombstones.js'
import { transact } from './transact.js'

export type ProjectRecord = RecordOf<typeof Project.attributes>

/** A new project: what the caller knows; the rest starts empty. */
export type NewProject = Pick<ProjectRecord, 'team' | 'name' | 'createdAt' | 'createdBy'> &
  Partial<Pick<ProjectRecord, 'id' | 'settings'>>

/** A new project's record: what the caller knows; the rest starts empty. */
export const newProject = (project: NewProject): ProjectRecord => ({
  settings: {},
  ...project,
  id: project.id ?? uuidV7(),
  version: null,
  deleting: null,
  deletingBy: null,
  deleteStep: null,
  updatedAt: null,
  updatedBy: null,
})

const newProjectItem = (project: NewProject) => Project.item(newProject(project))

/**
 * Creates a project: 'exists' when one of that name does; when one of that name is
 * still being deleted, that deletion (createProject then finishes it and puts again),
 * `started` false when its mark has no author (an older DELETE's: no cascade runs for it).
 */
export async function putProject(
  project: NewProject,
): Promise<'created' | 'exists' | (ProjectDeletion & { started: boolean })> {
  try {
    await db().send(
      new PutCommand({
        TableName: table(),
        Item: newProjectItem(project),
        ConditionExpression: 'attribute_not_exists(PK)',
        // Tells "exists" from "being deleted" without a second read.
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    )
    return 'created'
  } catch (error) {
    if (!isConditionFailed(error)) throw error
    const deletedAt = refusedText(error, 'deleting')
    if (deletedAt === undefined) return 'exists'
    const author = refusedText(error, 'deletingBy')
    return {
      team: project.team,
      project: project.name,
      // As the stream names it (sweeps.ts): a mark from before deletes had an author.
      deletedBy: author ?? 'latchkey',
      deletedAt,
      started: author !== undefined,
    }
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
  // Projects being deleted are gone to readers: dropped from the page, which may come
  // out shorter than `count` while one waits for its cascade (its `last` still right).
  const live = items.map(Project.decode).filter((project) => project.deleting === null)
  return { items: live, last }
}

/**
 * Deletes a project in one conditional write (the request's only work, whatever it
 * holds): `deleting` makes the project and everything in it gone to every reader at
 * once, and closes it to new children (their writes check it). Its stream record
 * starts the children's deletes (sweeps.ts). False, writing nothing, when there is no
 * such project or it is being deleted already (gone to its callers: a 404). A project
 * an older DELETE left closed (it wrote `deleting` alone, then deleted inside the
 * request and may have died) is taken over: its first time is kept, and the write
 * asks the stream for the cascade.
 */
export async function markProjectDeleted(
  team: string,
  name: string,
  by: string,
  at: string,
): Promise<boolean> {
  try {
    await db().send(
      new UpdateCommand({
        TableName: table(),
        Key: keys.project(team, name),
        UpdateExpression:
          'SET deleting = if_not_exists(deleting, :at), deletingBy = :by ADD deleteStep :one',
        ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(deletingBy)',
        ExpressionAttributeValues: { ':at': at, ':by': by, ':one': 1 },
      }),
    )
    return true
  } catch (error) {
    if (isConditionFailed(error)) return false
    throw error
  }
}

/** A project being deleted: whose children a step deletes, and as whom. */
export interface ProjectDeletion {
  team: string
  project: string
  deletedBy: string
  deletedAt: string
}

/** Children deleted per step: a step stays well inside the stream function's timeout. */
export const PROJECT_DELETE_STEP = 1000

/** What a project owns, by the `kind` its items carry: deleted with it. */
const childKind = (kind: unknown): DeletedEntity | undefined =>
  PROJECT_CHILDREN.find((child) => child === kind)

/** A child of a project, as a step deletes it: its key and its deletion record. */
interface FoundChild {
  key: Key
  record: Deletion
}

/**
 * Up to `limit` of a project's enrollment tokens, servers and cloud accounts (one
 * strongly consistent Query finds all three), each with the deletion record the
 * deletion gives it; `more` when more may remain.
 */
async function findChildren(
  deletion: ProjectDeletion,
  limit: number,
): Promise<{ found: FoundChild[]; more: boolean }> {
  const { team, project, deletedBy, deletedAt } = deletion
  const children = projectChildren(team, project)
  const { Items = [], LastEvaluatedKey } = await db().send(
    new QueryCommand({
      TableName: table(),
      KeyConditionExpression: 'PK = :pk AND SK < :before',
      ExpressionAttributeValues: { ':pk': children.PK, ':before': children.before },
      ProjectionExpression: 'PK, SK, id, secretHash, #kind',
      ExpressionAttributeNames: { '#kind': 'kind' },
      Limit: limit,
      ConsistentRead: true,
    }),
  )
  const found = Items.flatMap((item) => {
    const entity = childKind(item.kind)
    if (!entity) return []
    const key: Key = { PK: String(item.PK), SK: String(item.SK) }
    const secretHash = entity === 'Server' ? String(item.secretHash) : undefined
    const record = { entity, team, project, id: String(item.id), deletedBy, deletedAt, secretHash }
    return [{ key, record }]
  })
  return { found, more: LastEvaluatedKey !== undefined }
}

/**
 * One step of a deleted project's cascade: up to `limit` of its children, each with
 * its deletion record (servers' tokens then answer "revoked"). The records are written
 * first and the items deleted after: a step cut short and run again finds each child
 * still there and writes its record again unchanged (same author and time: no second
 * event), and never loses the record of a child it already deleted. 'more' when more
 * may remain; 'stale' (nothing done) when the project is no longer this deletion's.
 */
export async function deleteProjectStep(
  deletion: ProjectDeletion,
  limit = PROJECT_DELETE_STEP,
): Promise<'more' | 'done' | 'stale'> {
  const { found, more } = await findChildren(deletion, limit)
  // Nothing found, nothing to write: the mark only guards writes, and the last write
  // (finishProjectDelete) is conditional on it itself.
  if (found.length === 0) return more ? 'more' : 'done'
  // The mark is checked after the Query, not before: a record handed again after the
  // cascade finished (or after a create took the name over: createProject) must not
  // touch a project made again under the name. Still marked after the Query, the
  // project was closed when the Query ran, so every child it found is the old one's.
  const current = await getProject(deletion.team, deletion.project)
  if (current?.deleting !== deletion.deletedAt) return 'stale'
  await writeAll(
    found.map(({ key, record }) => ({ PutRequest: { Item: tombstoneItem(key, record) } })),
  )
  await writeAll(found.map(({ key }): WriteRequest => ({ DeleteRequest: { Key: key } })))
  return more ? 'more' : 'done'
}

/**
 * Asks for the next step: raising `deleteStep` makes a new stream record. Nothing when
 * the project is gone or is another one (deleted and made again meanwhile).
 */
export async function continueProjectDelete(deletion: ProjectDeletion): Promise<void> {
  try {
    await db().send(
      new UpdateCommand({
        TableName: table(),
        Key: keys.project(deletion.team, deletion.project),
        UpdateExpression: 'ADD deleteStep :one',
        ConditionExpression: 'deleting = :at',
        ExpressionAttributeValues: { ':one': 1, ':at': deletion.deletedAt },
      }),
    )
  } catch (error) {
    if (!isConditionFailed(error)) throw error
  }
}

/** The project's own deletion record (ProjectDeleted): the last write of its deletion. */
const projectTombstone = ({ team, project, deletedBy, deletedAt }: ProjectDeletion) =>
  putTombstone(keys.project(team, project), {
    entity: 'Project',
    team,
    project,
    deletedBy,
    deletedAt,
  })

/**
 * Deletes the project item itself once its children are gone, with its deletion
 * record (ProjectDeleted), in one transaction conditional on this deletion: run
 * again, it finds nothing and writes nothing. Its callers (the cascade's last step, a
 * create finishing a deletion) go on alike whether this write or another made it, so
 * it answers nothing.
 */
export async function finishProjectDelete(deletion: ProjectDeletion): Promise<void> {
  await transact([
    {
      Delete: {
        TableName: table(),
        Key: keys.project(deletion.team, deletion.project),
        ConditionExpression: 'deleting = :at',
        ExpressionAttributeValues: { ':at': deletion.deletedAt },
      },
    },
    projectTombstone(deletion),
  ])
}

/**
 * A project's child and the project, in one strongly consistent BatchGetItem: the
 * child counts only while its project is open (not being deleted). `item` is the
 * child as stored, whatever the project's state (a genuine server token of a
 * deleted project is told it was revoked).
 */
export async function getProjectChild(
  team: string,
  project: string,
  key: Key,
): Promise<{ item?: Record<string, unknown>; open: boolean }> {
  const [item, parent] = await getEach([key, keys.project(team, project)])
  return { item, open: parent !== undefined && parent.deleting === undefined }
}
