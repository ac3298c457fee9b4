import type { UserCaller } from '../auth/caller.js'
import { ranges } from '../data/keys.js'
import {
  deleteProject as deleteProjectItem,
  getProject,
  listProjects,
  type ProjectRecord,
  putProject,
} from '../data/projects.js'
import { alreadyExists, notFound } from '../http/errors.js'
import { type Page, type PageQuery, pageRequest, toPage } from './pagination.js'

/** ASA's project shape. */
export const projectView = (project: ProjectRecord) => ({
  name: project.name,
  team_name: project.team,
  created_at: project.createdAt,
})

export type ProjectView = ReturnType<typeof projectView>

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

export async function listTeamProjects(team: string, query: PageQuery): Promise<Page<ProjectView>> {
  const range = ranges.projects(team)
  const request = await pageRequest(range, query)
  const { projects, last } = await listProjects(team, request.count, request.after)
  return toPage(range, request, projects.map(projectView), last)
}

/** Deletes a project. Its enrollment tokens and servers go with it (issue 4's cascade). */
export async function deleteProject(team: string, name: string): Promise<void> {
  if (!(await deleteProjectItem(team, name))) throw notFound('The project')
}
