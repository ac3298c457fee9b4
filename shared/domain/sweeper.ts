import {
  getInactivityPass,
  getResumeTeam,
  putInactivityPass,
  readInactiveDays,
  setResumeTeam,
} from '../data/sweep-state.js'
import { dueAction } from '../data/token-due.js'
import {
  type IndexedToken,
  markExpiryWarning,
  readTeams,
  readTeamTokens,
  removeAccessToken,
} from '../data/token-index.js'
import { DAY_MS } from '../time.js'

/**
 * The sweeper: the time-driven lifecycle events (API.md, Lifecycle events). Each run
 * walks the teams through the index and, per team, reads only the tokens that are
 * due (the index orders a team's tokens by their next due time): it warns 7 days and
 * 1 day before expiry, and removes expired tokens. Teams with `inactiveDays` also get
 * an inactivity pass over their tokens, at most once per `inactivityEveryMs`. Every
 * effect is a conditional write whose change-stream record is the event, so a run
 * repeated, or two runs at once, emit nothing twice. A run handles at most `budget`
 * tokens (an inactivity pass's ten index entries read count as one); the next run
 * starts with the team it stopped in, then the teams after it.
 */
export interface SweepOptions {
  now: Date
  /** Tokens handled (warned, expired, revoked or checked) per run at most. */
  budget?: number
  inactivityEveryMs?: number
}

export interface SweepReport {
  teams: number
  warned: number
  expired: number
  revoked: number
  /** False when the budget ran out first: the next run carries on. */
  done: boolean
}

export const SWEEP_BUDGET = 1000
const PAGE = 100
const IN_FLIGHT = 8

export async function sweep(options: SweepOptions): Promise<SweepReport> {
  const { now } = options
  const report: SweepReport = { teams: 0, warned: 0, expired: 0, revoked: 0, done: true }
  let budget = options.budget ?? SWEEP_BUDGET
  let from = await getResumeTeam()
  for (;;) {
    const { teams, more } = await readTeams(PAGE, from)
    for (const team of teams) {
      report.teams++
      budget = await sweepDue(team, now, budget, report)
      budget = await sweepInactive(team, options, budget, report)
      if (budget <= 0) {
        // This team may have more: the next run starts with it, then the teams after.
        report.done = false
        await setResumeTeam(team)
        return report
      }
    }
    const last = teams[teams.length - 1]
    if (!more || last === undefined) break
    from = `${last}\u0000` // the first name after the last one read
  }
  await setResumeTeam(undefined)
  return report
}

/** The team's due tokens, soonest first, until none is due or the budget runs out. */
async function sweepDue(team: string, now: Date, budget: number, report: SweepReport) {
  // Sort keys start with the due time: every key below this one is due by now.
  const before = `${now.toISOString()}$`
  let after: string | undefined
  while (budget > 0) {
    const page = await readTeamTokens(team, Math.min(PAGE, budget), { after, before })
    budget -= page.tokens.length
    // Each token's write is its own and conditional: a few at a time, in any order.
    for (let i = 0; i < page.tokens.length; i += IN_FLIGHT) {
      const outcomes = await Promise.all(
        page.tokens.slice(i, i + IN_FLIGHT).map((token) => handleDue(token, now)),
      )
      for (const outcome of outcomes) if (outcome) report[outcome]++
    }
    if (!page.last) break
    after = page.last
  }
  return budget
}

async function handleDue(token: IndexedToken, now: Date) {
  const action = dueAction(token.expiresAt, token.expiryWarned, now)
  if (action?.kind === 'warn')
    return (await markExpiryWarning(token, action.days, now)) ? 'warned' : undefined
  if (action?.kind === 'expire') {
    const removal = { by: 'expiry', reason: 'expired', at: now.toISOString() } as const
    const removed = await removeAccessToken(token.team, token.username, token.id, removal, {
      expression: 'expiresAt <= :now',
      values: { ':now': now.toISOString() },
    })
    return removed ? 'expired' : undefined
  }
  // Not due after all: an index entry older than the write that moved it (the index is
  // eventually consistent). That write already did what was due.
  return undefined
}

/** Tokens last used (or, never used, made) before the cutoff. */
const inactiveSince = (cutoff: string) => ({
  expression:
    '(attribute_exists(lastUsed) AND lastUsed < :cutoff) OR (attribute_not_exists(lastUsed) AND dateCreated < :cutoff)',
  values: { ':cutoff': cutoff },
})

/**
 * Revokes the team's tokens unused for its policy's `inactiveDays`. Inactivity
 * depends on the policy and on every use, so the index can't order tokens by it;
 * this pass reads the team's index partition with a filter instead (a Query, never a
 * Scan), once per `inactivityEveryMs`, resuming where a run's budget stopped it.
 */
async function sweepInactive(
  team: string,
  options: SweepOptions,
  budget: number,
  report: SweepReport,
) {
  if (budget <= 0) return budget
  const days = await readInactiveDays(team)
  if (days === null) return budget
  const { now } = options
  const pass = await getInactivityPass(team)
  const every = options.inactivityEveryMs ?? DAY_MS
  const recent = pass.finishedAt && Date.parse(pass.finishedAt) > now.getTime() - every
  if (!pass.cursor && recent) return budget
  const filter = inactiveSince(new Date(now.getTime() - days * DAY_MS).toISOString())
  let after = pass.cursor
  while (budget > 0) {
    const page = await readTeamTokens(team, Math.min(PAGE, budget), { after, filter })
    // Filtered reads may evaluate many entries for few matches: ten count as one token.
    budget -= Math.max(1, page.tokens.length, Math.ceil(page.evaluated / 10))
    for (const token of page.tokens) {
      const removal = { by: 'sweeper', reason: 'inactive', at: now.toISOString() } as const
      if (await removeAccessToken(team, token.username, token.id, removal, filter)) report.revoked++
    }
    after = page.last
    if (!after) {
      await putInactivityPass(team, { finishedAt: now.toISOString() })
      return budget
    }
  }
  await putInactivityPass(team, { cursor: after, finishedAt: pass.finishedAt })
  return budget
}
