import type { UserCaller } from '../auth/caller.js'
import { type Range, ranges } from '../data/keys.js'
import {
  closeProject,
  deleteProjectChildren,
  deleteProjectRecord,
  getProject,
  listProjects,
  type ProjectRecord,
  putProject,
} from '../data/projects.js'
import { alreadyExists, notFound } from '../errors.js'
import type { Project } from '../schemas/views.js'
import { type Page, type PageQuery, pageRequest, toPage } from './pagination.js'

/** ASA's project shape. */
export const projectView = (project: ProjectRecord): Project => ({
  name: project.name,
  team_name: project.team,
  created_at: project.createdAt,
})

export async function createProject(caller: UserCaller, name: string, now = new Date()) {
  const project = {
    team: caller.team,
    name,
    createdAt: now.toISOString(),
    createdBy: caller.username,
  }
  if (!(await putProject(project))) throw alreadyExists(`A project named "${name}" exists.`)
  return project
}

export async function fetchProject(team: string, name: string): Promise<ProjectRecord> {
  const project = await getProject(team, name)
  if (!project) throw notFound('The project')
  return project
}

export async function listTeamProjects(team: string, query: PageQuery): Promise<Page<Project>> {
  const range = ranges.projects(team)
  const request = pageRequest(range, query)
  const { items, last } = await listProjects(team, request.count, request.after)
  return toPage(range, request, items.map(projectView), last)
}

/**
 * A page of a project's enrollment tokens or servers. An empty page costs one more
 * read, to tell "none yet" from "no such project" (404).
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
  const { items, last } = await read(request.count, request.after)
  if (items.length === 0 && !(await getProject(team, project))) throw notFound('The project')
  return toPage(range, request, await Promise.all(items.map(view)), last)
}

/**
 * Deletes a project with its enrollment tokens and servers: close it to new ones,
 * delete them page by page, then the project. If anything fails midway the project
 * stays (closed) and the same DELETE, retried, carries on where it stopped.
 */
export async function deleteProject(caller: UserCaller, name: string, now = new Date()) {
  const at = now.toISOString()
  if (!(await closeProject(caller.team, name, at))) throw notFound('The project')
  await deleteProjectChildren(caller.team, name, caller.username, at)
  // False here means a concurrent delete finished first: the outcome is the same.
  await deleteProjectRecord(caller.team, name, caller.username, at)
}
