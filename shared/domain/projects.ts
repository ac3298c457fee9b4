import type { UserCaller } from '../auth/caller.js'
import { keys, type Range, ranges } from '../data/keys.js'
import {
  PROJECT_DEFAULTS,
  PROJECT_SETTING_NAMES,
  type ProjectSettingName,
  type ProjectSettings,
  type SettingValue,
  type StoredSettings,
} from '../data/project-settings.js'
import {
  deleteProjectStep,
  finishProjectDelete,
  getProject,
  listProjects,
  markProjectDeleted,
  newProject,
  type ProjectDeletion,
  type ProjectRecord,
  putProject,
  updateProjectSettings,
} from '../data/projects.js'
import {
  alreadyExists,
  invalidRequest,
  notFound,
  serviceOffline,
  tooManyRequests,
} from '../errors.js'
import type { Project } from '../schemas/views.js'
import { uuidV5, uuidV7 } from '../tokens/uuid.js'
import { type Page, type PageQuery, pageRequest, toPage, toTwoWayPage } from './pagination.js'

/** Settings as a request gives them: `null`, or `""` for a string, means "back to the default". */
export type SettingsInput = { [K in ProjectSettingName]?: SettingValue | null }

/**
 * Namespace of the ids derived for projects stored before projects had one: a UUID v5
 * of team, name and creation time. Those never change while the project lives, so the
 * id is stable without a backfill (which would make reads write); a project deleted
 * and made again has another creation time, so another id. New projects store a v7.
 */
const LEGACY_PROJECT_IDS = '3f0c64b5-5d1e-4a5e-9f43-1c7a3e0b9d27'

export const projectId = (project: ProjectRecord) =>
  project.id ?? uuidV5(LEGACY_PROJECT_IDS, `${project.team}/${project.name}/${project.createdAt}`)

/**
 * Every setting: the stored value, else ASA's default. Stored values are typed as the
 * schemas admitted them and read back by type (data/projects.ts), hence the cast.
 */
const effective = (stored: StoredSettings) =>
  ({ ...PROJECT_DEFAULTS, ...stored }) as ProjectSettings

/** ASA's project shape: ids, names, `deleted_at` (always null: deleted projects are gone), settings. */
export const projectView = (project: ProjectRecord): Project => ({
  id: projectId(project),
  name: project.name,
  team: project.team,
  team_name: project.team,
  deleted_at: null,
  created_at: project.createdAt,
  ...effective(project.settings),
})

/** The settings a request names, `null` for those it sends back to their default. */
function requested(input: SettingsInput) {
  const settings: Partial<Record<ProjectSettingName, SettingValue | null>> = {}
  for (const name of PROJECT_SETTING_NAMES) {
    const value = input[name]
    if (value !== undefined) settings[name] = value === '' ? null : value
  }
  return settings
}

/** ASA: shared accounts need both their names. */
function checkRules(settings: Record<ProjectSettingName, SettingValue | null>) {
  if (settings.force_shared_ssh_users !== true) return
  const missing = (['shared_admin_user_name', 'shared_standard_user_name'] as const).filter(
    (name) => settings[name] === null,
  )
  if (missing.length === 0) return
  throw invalidRequest(
    `force_shared_ssh_users needs ${missing.join(' and ')}.`,
    missing.map((description) => ({
      description,
      message: 'is required when force_shared_ssh_users is true',
    })),
  )
}

/** A create meets a name being deleted, whose deletion then finishes or is taken: a few rounds. */
const CREATE_ATTEMPTS = 3

/**
 * How long a create over a name being deleted may start steps of that deletion: a
 * step (up to 1,000 children) takes a second or two at most, so this finishes 5,000
 * children or more inside the create function's 20 s (infra sizing), under API
 * Gateway's 30 s.
 */
export const REPLACE_BUDGET_MS = 10_000

/** When to retry a create whose name's old children outlast the budget: the stream deletes them too. */
const REPLACED_RETRY_SECONDS = 5

/**
 * Finishes a project's deletion here, as its cascade would (sweeps.ts): its steps one
 * after another while `until` (epoch ms) has not passed, then its last write. The
 * steps write the very records the stream's steps write, so a cascade racing this
 * publishes nothing twice, and ProjectDeleted is written by the one conditional last
 * write, whoever makes it. 'over' when the deletion is done (here or by the cascade)
 * or its mark moved (another create took the name); 'more' when time ran out first.
 */
export async function runProjectDeletion(
  deletion: ProjectDeletion,
  until: number,
): Promise<'over' | 'more'> {
  for (;;) {
    const step = await deleteProjectStep(deletion)
    if (step === 'stale') return 'over'
    if (step === 'done') {
      await finishProjectDelete(deletion)
      return 'over'
    }
    if (Date.now() >= until) return 'more'
  }
}

/**
 * Creates a project. Over a name still being deleted (a Terraform replace: destroy,
 * then create the same name at once, as both ASA providers do), the create finishes
 * that deletion first (runProjectDeletion), then puts the new project in a write of
 * its own: the new project never shares its partition with an old child, the old
 * project's ProjectDeleted is written before its ProjectCreated, and nothing of the
 * new project is written unless all of it is. `budgetMs`: how long it may spend on
 * the old deletion before answering 429 (the stream goes on deleting meanwhile).
 */
export async function createProject(
  caller: UserCaller,
  input: SettingsInput & { name: string },
  now = new Date(),
  budgetMs = REPLACE_BUDGET_MS,
) {
  const until = Date.now() + budgetMs
  const settings: StoredSettings = {}
  for (const [name, value] of Object.entries(requested(input)) as [
    ProjectSettingName,
    SettingValue | null,
  ][]) {
    if (value !== null) settings[name] = value
  }
  checkRules(effective(settings))
  const project = newProject({
    team: caller.team,
    name: input.name,
    id: uuidV7(now.getTime()),
    createdAt: now.toISOString(),
    createdBy: caller.username,
    settings,
  })
  for (let attempt = 1; attempt <= CREATE_ATTEMPTS; attempt++) {
    const outcome = await putProject(project)
    if (outcome === 'created') return project
    if (outcome === 'exists') throw alreadyExists(`A project named "${input.name}" exists.`)
    // Being deleted: finished here, then the name is put again ('over': the deletion is
    // done, or another create took the name, which the next put tells).
    if ((await runProjectDeletion(outcome, until)) === 'over') continue
    // More children than the budget deletes: 429 with Retry-After and X-RateLimit-Retry-At,
    // which ASA's oktapam provider waits for and retries. A mark an older DELETE left has
    // no cascade running: asked for once (as a DELETE would take it over), so retries end.
    if (!outcome.started)
      await markProjectDeleted(caller.team, input.name, 'latchkey', outcome.deletedAt)
    // Timed on the budget's clock (Date.now, as `until`).
    const at = Date.now()
    throw tooManyRequests(
      `A project named "${input.name}" is still being deleted (more servers, enrollment tokens or cloud accounts than a request deletes); retry after ${REPLACED_RETRY_SECONDS} seconds.`,
      at + REPLACED_RETRY_SECONDS * 1000,
      at,
    )
  }
  throw serviceOffline(1)
}

/** A project that exists and is not being deleted (one being deleted is gone to readers). */
const live = (project: ProjectRecord | undefined) =>
  project && project.deleting === null ? project : undefined

export async function fetchProject(team: string, name: string): Promise<ProjectRecord> {
  const project = live(await getProject(team, name))
  if (!project) throw notFound('The project')
  return project
}

/** Reads, merges and writes back; a concurrent update in between means one more round. */
const UPDATE_ATTEMPTS = 3

/**
 * PUT: changes the settings the request names, leaving the others (the oktapam
 * provider sends only what changed; oktaasa sends everything). The name may be
 * repeated but not changed. Settings that end up as they were are not written, so
 * an unchanged PUT costs one GetItem and publishes no event (the ProjectUpdated
 * event reads what changed from the stream's images, not from here).
 */
export async function updateProject(
  caller: UserCaller,
  name: string,
  input: SettingsInput & { name?: string },
  now = new Date(),
): Promise<void> {
  if (input.name !== undefined && input.name !== name)
    throw invalidRequest("A project's name cannot change.", [
      { description: 'name', message: `cannot change (the project is "${name}")` },
    ])
  const wanted = requested(input)
  for (let attempt = 1; attempt <= UPDATE_ATTEMPTS; attempt++) {
    const current = await getProject(caller.team, name)
    if (!current || current.deleting) throw notFound('The project')
    const before: Record<ProjectSettingName, SettingValue | null> = effective(current.settings)
    const after = { ...before }
    for (const [setting, value] of Object.entries(wanted) as [
      ProjectSettingName,
      SettingValue | null,
    ][]) {
      after[setting] = value ?? PROJECT_DEFAULTS[setting]
    }
    checkRules(after)
    const set: StoredSettings = {}
    const unset: ProjectSettingName[] = []
    for (const setting of PROJECT_SETTING_NAMES) {
      const to = after[setting]
      if (to === before[setting]) continue
      if (wanted[setting] === null) unset.push(setting)
      else if (to !== null) set[setting] = to
    }
    if (Object.keys(set).length === 0 && unset.length === 0) return
    const written = await updateProjectSettings(caller.team, name, {
      set,
      unset,
      id: projectId(current),
      version: current.version ?? undefined,
      updatedAt: now.toISOString(),
      updatedBy: caller.username,
    })
    if (written) return
  }
  throw serviceOffline(1)
}

/** Go's strconv.ParseBool spellings, as ASA's clients send them; anything else is "not given". */
function flag(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false
  return undefined
}

export interface ProjectListQuery extends PageQuery {
  contains?: string
  self?: string
  descending?: string
  prev?: string
}

/**
 * A page of the team's projects by name. `contains` keeps names with that substring
 * (names are lower case, so it matches case-insensitively); `descending` reverses the
 * order. Both are bound into the page's cursor, so following `Link` keeps them.
 * `prev=true` with an `offset` reads the page before that cursor (pages reached by a
 * cursor link to theirs with `rel="prev"`). `self` (ASA: only projects the caller is
 * assigned to) changes nothing: every member of a team may use all its projects.
 */
export async function listTeamProjects(
  team: string,
  query: ProjectListQuery,
): Promise<Page<Project>> {
  const range = ranges.projects(team)
  const contains = query.contains ? query.contains.toLowerCase() : undefined
  const request = pageRequest(range, query, { contains, descending: flag(query.descending) })
  const prev = flag(query.prev) === true && request.after !== undefined
  const { items, last } = await listProjects(team, request.count, request.after, {
    backward: (request.descending === true) !== prev,
    contains: request.contains,
  })
  // A backward read comes nearest-first: shown in the list's own order.
  if (prev) items.reverse()
  const sortKeys = items.map((project) => keys.project(team, project.name).SK)
  return toTwoWayPage(range, { ...request, prev }, items.map(projectView), sortKeys, last)
}

/**
 * A page of a project's enrollment tokens, servers or cloud accounts: the page's Query
 * and the project's GetItem, side by side (404 for no project, or one being deleted).
 */
export async function projectChildrenPage<R, V>(
  team: string,
  project: string,
  range: Range,
  query: PageQuery,
  read: (count: number, after?: string) => Promise<{ items: R[]; last?: string }>,
  view: (record: R) => V | Promise<V>,
): Promise<Page<V>> {
  const request = pageRequest(range, query)
  // The project is read beside the page: a project being deleted lists nothing (404)
  // while its children still wait for the change stream to delete them.
  const [{ items, last }, parent] = await Promise.all([
    read(request.count, request.after),
    getProject(team, project),
  ])
  if (!live(parent)) throw notFound('The project')
  return toPage(range, request, await Promise.all(items.map(view)), last)
}

/**
 * Deletes a project with its enrollment tokens, servers and cloud accounts: one
 * conditional write marks it deleted, which makes them all gone at once; the change
 * stream then deletes them, a bounded step at a time, and the project last
 * (data/projects.ts, domain/sweeps.ts).
 */
export async function deleteProject(caller: UserCaller, name: string, now = new Date()) {
  if (!(await markProjectDeleted(caller.team, name, caller.username, now.toISOString())))
    throw notFound('The project')
}
