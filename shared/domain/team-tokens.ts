import type { UserCaller } from '../auth/caller.js'
import { indexPartitions, type Range, ranges } from '../data/keys.js'
import { readRange } from '../data/page.js'
import {
  type IndexedToken,
  indexedToken,
  readTeamTokens,
  removeAccessToken,
} from '../data/token-index.js'
import { invalidRequest, notFound } from '../errors.js'
import type { TeamToken } from '../schemas/views.js'
import { daysAfter } from '../time.js'
import { type Page, type PageQuery, pageRequest, toPage } from './pagination.js'

export interface TeamTokensQuery extends PageQuery {
  user?: string
  expiring_within_days?: string
}

export const teamTokenView = (token: IndexedToken): TeamToken => ({
  id: token.id,
  user: token.username,
  name: token.name,
  scopes: token.scopes,
  created: token.dateCreated,
  lastUsed: token.lastUsed,
  expires: token.expiresAt,
})

/** An index sort key as the index writes them: `<due or ~>#<user>#<16-digit id>`. */
const INDEX_KEY = /^(~|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)#[a-z0-9][a-z0-9_.-]{0,62}#\d{16}$/

/**
 * The admin's view of a team's personal tokens (API.md, Admin views), metadata only.
 * The whole team comes from the index, soonest due first (expiring tokens by expiry,
 * never-expiring ones last); one user's from that user's own partition, by id.
 * `expiring_within_days` keeps tokens that expire within that many days from now.
 * The filter is bound into the cursor (through its list's scope), so a cursor of
 * another filter, team or user is a 400.
 */
export async function listTeamTokens(
  team: string,
  query: TeamTokensQuery,
  now = new Date(),
): Promise<Page<TeamToken>> {
  const within = query.expiring_within_days
  const limit = within && daysAfter(now, Number(within))
  const filter = limit
    ? {
        expression: '#expiresAt > :now AND #expiresAt <= :limit',
        names: { '#expiresAt': 'expiresAt' },
        values: { ':now': now.toISOString(), ':limit': limit },
      }
    : undefined
  const base: Range = query.user
    ? ranges.accessTokens(team, query.user)
    : { PK: indexPartitions.teamTokens(team), prefix: '' }
  const list: Range = { PK: `${base.PK}|within=${within ?? ''}`, prefix: base.prefix }
  const request = pageRequest(list, query)
  if (query.user) {
    const page = await readRange(base, request.count, request.after, {
      filter,
    })
    return toPage(
      list,
      request,
      page.items.map((item) => teamTokenView(indexedToken(item))),
      page.last,
    )
  }
  if (request.after !== undefined && !INDEX_KEY.test(request.after))
    throw invalidRequest('The offset is not a cursor this list gave out.', [
      { description: 'offset', message: 'is not a valid cursor for this list' },
    ])
  const page = await readTeamTokens(team, request.count, {
    after: request.after,
    before: limit ? `${limit}$` : undefined,
    filter,
  })
  return toPage(list, request, page.tokens.map(teamTokenView), page.last)
}

/** An admin revokes any token of their team; the event names the admin. */
export async function revokeTeamUserToken(
  caller: UserCaller,
  username: string,
  id: number,
  now = new Date(),
): Promise<void> {
  const removal = { by: caller.username, reason: 'admin', at: now.toISOString() } as const
  if (!(await removeAccessToken(caller.team, username, id, removal))) throw notFound('The token')
}
