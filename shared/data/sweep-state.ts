import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb'
import { db, table } from './client.js'
import { SweeperCursor, SweepState } from './entities.js'
import { keys } from './keys.js'
import { getTokenPolicy } from './token-policies.js'

/**
 * The sweeper's memory between runs, so a run that stops at its budget is resumed
 * rather than restarted: the team the next run starts with, and per team where its
 * inactivity pass stands.
 */
export async function getResumeTeam(): Promise<string | undefined> {
  const { Item } = await db().send(
    new GetCommand({ TableName: table(), Key: keys.sweeperState(), ConsistentRead: true }),
  )
  return Item ? SweeperCursor.decode(Item).resumeTeam : undefined
}

export async function setResumeTeam(team: string | undefined): Promise<void> {
  if (team === undefined)
    await db().send(new DeleteCommand({ TableName: table(), Key: keys.sweeperState() }))
  else
    await db().send(
      new PutCommand({ TableName: table(), Item: SweeperCursor.item({ resumeTeam: team }) }),
    )
}

export interface InactivityPass {
  /** The index sort key the unfinished pass continues after. */
  cursor?: string
  /** When the last pass over the team finished. */
  finishedAt?: string
}

export async function getInactivityPass(team: string): Promise<InactivityPass> {
  const { Item } = await db().send(
    new GetCommand({ TableName: table(), Key: keys.sweepState(team), ConsistentRead: true }),
  )
  const { cursor, finishedAt } = Item ? SweepState.decode(Item) : { cursor: null, finishedAt: null }
  return { cursor: cursor ?? undefined, finishedAt: finishedAt ?? undefined }
}

export async function putInactivityPass(team: string, pass: InactivityPass): Promise<void> {
  const state = { team, cursor: pass.cursor ?? null, finishedAt: pass.finishedAt ?? null }
  await db().send(new PutCommand({ TableName: table(), Item: SweepState.item(state) }))
}

/**
 * The team's `inactiveDays` (API.md, Team token policy), or null when it has none.
 * Read through the policy's own reader (one GetItem, as the policy routes read it).
 */
export async function readInactiveDays(team: string): Promise<number | null> {
  const { inactiveDays } = await getTokenPolicy(team)
  return inactiveDays !== null && inactiveDays > 0 ? inactiveDays : null
}
