import type { UserCaller } from '../../auth/caller.js'
import { allows } from '../../auth/policy.js'
import { holds } from '../../auth/scopes.js'
import { getUser, type Role } from '../../data/users.js'
import { forbidden, notFound, unauthenticated } from '../../errors.js'
import type { RouteSpec } from '../../routes.js'
import type { Middleware } from '../event.js'

/**
 * A service token carries the role it was issued with (an hour old at most); a
 * personal token's user's current role was read with it (authenticate.ts), else it is
 * read here (one GetItem).
 */
async function roleOf(caller: UserCaller): Promise<Role> {
  if (caller.credential.role) return caller.credential.role
  const user = await getUser(caller.team, caller.username)
  if (!user) throw unauthenticated() // the user was removed after the token was made
  return user.role
}

/**
 * Applies the rule set: on team-scoped routes (`/v1/teams/{team}/...`) the caller's
 * team, then the credential's scope for the route, then the role. It runs before the
 * body is parsed: another team's caller learns nothing, not even validation errors or
 * which scope the route needs, and gets the same 404 whether or not that team exists.
 */
export function authorize(route: Pick<RouteSpec, 'access' | 'scope'>): Middleware {
  const { access, scope } = route
  return {
    name: 'authorize',
    before: async ({ event }) => {
      const { caller } = event
      if (access) {
        const team = event.pathParameters?.team
        if (caller?.kind !== 'user' || !team)
          throw new Error('authorize needs a user caller and {team}')
        if (caller.team !== team) throw notFound('The team')
      }
      if (scope && caller?.kind === 'user' && !holds(caller.scopes, scope))
        throw forbidden(`This token lacks the scope ${scope}, which this route needs.`)
      if (!access || caller?.kind !== 'user' || allows(await roleOf(caller), access)) return
      throw forbidden('Only team admins may do this; your role is member.')
    },
  }
}
