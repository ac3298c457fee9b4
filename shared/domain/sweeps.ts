import { unmarshall } from '@aws-sdk/util-dynamodb'
import {
  continueProjectDelete,
  deleteProjectStep,
  finishProjectDelete,
  type ProjectDeletion,
} from '../data/projects.js'
import { continueSweep, revokedThroughOf, sweepRevokedTokens } from '../data/token-revocation.js'
import type { StreamRecord } from '../events/events.js'

/**
 * Work the change stream does after a request answered: the physical deletes behind a
 * delete-all's revocation mark, and behind a project's deletion mark. Each stream
 * record of a mark that asks for work (written, raised, or touched by the previous
 * step) runs one bounded step; a step that leaves more touches the mark, whose record
 * runs the next. A step that fails fails its batch, and the stream hands the same
 * record again: steps are idempotent.
 */

type Item = Record<string, unknown>

/** The sweep a record asks for: the mark's owner and height; undefined for any other record. */
export function sweepOf(
  record: StreamRecord,
): { team: string; username: string; revokedThrough: number } | undefined {
  if (record.eventName !== 'INSERT' && record.eventName !== 'MODIFY') return undefined
  const raw = record.dynamodb?.NewImage
  const now = raw ? (unmarshall(raw) as Item) : undefined
  if (now?.kind !== 'TokenRevocation') return undefined
  const oldRaw = record.dynamodb?.OldImage
  const before = oldRaw ? (unmarshall(oldRaw) as Item) : undefined
  const revokedThrough = revokedThroughOf(now)
  const asked = revokedThrough !== revokedThroughOf(before) || now.sweepRound !== before?.sweepRound
  if (!asked || revokedThrough === 0) return undefined
  return { team: String(now.team), username: String(now.username), revokedThrough }
}

/**
 * The project deletion a record asks a step of: a project whose `deleting` was just
 * set, or whose `deleteStep` the previous step (or a repeated DELETE) raised.
 */
export function projectDeletionOf(record: StreamRecord): ProjectDeletion | undefined {
  if (record.eventName !== 'INSERT' && record.eventName !== 'MODIFY') return undefined
  const raw = record.dynamodb?.NewImage
  const now = raw ? (unmarshall(raw) as Item) : undefined
  if (now?.kind !== 'Project' || typeof now.deleting !== 'string') return undefined
  const oldRaw = record.dynamodb?.OldImage
  const before = oldRaw ? (unmarshall(oldRaw) as Item) : undefined
  if (before?.deleting === now.deleting && before?.deleteStep === now.deleteStep) return undefined
  return {
    team: String(now.team),
    project: String(now.name),
    // Marks written before deletes had an author (a DELETE cut short) name the system.
    deletedBy: typeof now.deletingBy === 'string' ? now.deletingBy : 'latchkey',
    deletedAt: now.deleting,
  }
}

/** Runs the steps a batch of stream records asks for, in order. */
export async function sweepRecords(records: StreamRecord[]): Promise<void> {
  for (const record of records) {
    const sweep = sweepOf(record)
    if (sweep) {
      const { team, username, revokedThrough } = sweep
      if (await sweepRevokedTokens(team, username, revokedThrough))
        await continueSweep(team, username, revokedThrough)
    }
    const deletion = projectDeletionOf(record)
    if (deletion) {
      const step = await deleteProjectStep(deletion)
      if (step === 'more') await continueProjectDelete(deletion)
      if (step === 'done') await finishProjectDelete(deletion)
    }
  }
}
