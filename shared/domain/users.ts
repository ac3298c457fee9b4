import { ranges } from '../data/keys.js'
import { readAttempts } from '../data/sign-in.js'
import { readUsers } from '../data/users.js'
import type { TeamUser } from '../schemas/views.js'
import { ATTEMPT_LIMIT } from './grants.js'
import { type Page, type PageQuery, pageRequest, toPage } from './pagination.js'

/**
 * A page of the team's users by name, as admins see them: role, whether a password
 * is set, MFA, and whether the password grant is locked out now (the same rule as
 * the grant: the window's allowance used up and the window still open). Never a
 * password hash: the view has no field for one.
 */
export async function listTeamUsers(
  team: string,
  query: PageQuery,
  now = new Date(),
): Promise<Page<TeamUser>> {
  const range = ranges.users(team)
  const request = pageRequest(range, query)
  const page = await readUsers(team, request.count, request.after)
  const windows = await readAttempts(
    team,
    page.users.map((user) => user.username),
  )
  const list = page.users.map((user): TeamUser => {
    const window = windows.get(user.username)
    const reopens = window ? window.windowStart + ATTEMPT_LIMIT.windowMs : 0
    const locked =
      window !== undefined && window.attempts >= ATTEMPT_LIMIT.max && reopens > now.getTime()
    return {
      username: user.username,
      role: user.role,
      createdAt: user.createdAt,
      hasPassword: user.passwordHash !== null,
      mfaEnabled: user.mfaEnabled,
      lockedOut: locked,
      lockedUntil: locked ? new Date(reopens).toISOString() : null,
    }
  })
  return toPage(range, request, list, page.last)
}
