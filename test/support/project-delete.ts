import type { ProjectDeletion } from '../../shared/data/projects.js'
import { getProject } from '../../shared/data/projects.js'

/**
 * Runs a deleted project's cascade to its end here, step by step, as the change
 * stream would (sweeps.ts): for tests that need the children gone without a poller.
 * Answers the number of steps.
 */
export async function cascadeProjectDelete(team: string, project: string): Promise<number> {
  const { deleteProjectStep, finishProjectDelete } = await import('../../shared/data/projects.js')
  const stored = await getProject(team, project)
  if (!stored?.deleting) throw new Error(`project ${project} is not being deleted`)
  const deletion: ProjectDeletion = {
    team,
    project,
    deletedBy: stored.deletingBy ?? 'latchkey',
    deletedAt: stored.deleting,
  }
  let steps = 1
  while ((await deleteProjectStep(deletion)) === 'more') steps++
  await finishProjectDelete(deletion)
  return steps
}
