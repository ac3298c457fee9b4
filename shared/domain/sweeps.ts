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

/**
 * A step starts only while this much of the invocation is left (the stream function
 * has 30 s): a step of up to 1,000 deletes takes a second or two, more when throttled,
 * and the batch's events are published after the steps. A batch of many marks would
 * otherwise run step after step into the timeout, and a timed-out batch is retried
 * (bisected, 10 times at most) before its records are given up.
 */
export const STEP_RESERVE_MS = 10_000

/**
 * Runs the steps a batch of stream records asks for, in order. Once less than
 * `STEP_RESERVE_MS` remains, each record still asking for a step defers it instead:
 * one write touches its mark (as a step that leaves more does), whose new record asks
 * for the same step in a later invocation. So the work per invocation is bounded, and
 * no step is lost: every record that asks for one either runs it or passes it on.
 * `remainingMs`: the invocation's time left (Lambda's context); none locally.
 */
export async function sweepRecords(
  records: StreamRecord[],
  remainingMs: () => number = () => Number.POSITIVE_INFINITY,
): Promise<void> {
  for (const record of records) {
    const sweep = sweepOf(record)
    const deletion = projectDeletionOf(record)
    if (!sweep && !deletion) continue
    const late = remainingMs() < STEP_RESERVE_MS
    if (sweep) {
      const { team, username, revokedThrough } = sweep
      if (late || (await sweepRevokedTokens(team, username, revokedThrough)))
        await continueSweep(team, username, revokedThrough)
    }
    if (deletion) {
      const step = late ? 'more' : await deleteProjectStep(deletion)
      if (step === 'more') await continueProjectDelete(deletion)
      if (step === 'done') await finishProjectDelete(deletion)
    }
  }
}
