import type { BuiltInScope } from '../../shared/auth/scopes.js'
import type { routes } from '../../shared/routes.js'
import type { RouteId } from './api.js'

/**
 * The console session's scopes: those of the routes the console calls, and nothing
 * else (not `tokens:verify`, nor the user's own APIs' scopes). The checker holds the
 * list equal to the scopes of the console's routes (api.ts), so a page calling a new
 * route can't be forgotten here, and no scope is asked for that no page uses.
 */
const MEMBER_SCOPES = [
  'tokens:read',
  'tokens:write',
  'projects:read',
  'enrollment:read',
  'servers:read',
] as const satisfies readonly BuiltInScope[]

const ADMIN_ONLY = [
  'projects:write',
  'enrollment:write',
  'servers:write',
] as const satisfies readonly BuiltInScope[]

export type ConsoleScope = (typeof MEMBER_SCOPES)[number] | (typeof ADMIN_ONLY)[number]

/** Only admins may hold these (a member's grant asking for them is refused). */
export const ADMIN_SCOPES: readonly ConsoleScope[] = ADMIN_ONLY
export const CONSOLE_SCOPES: readonly ConsoleScope[] = [...MEMBER_SCOPES, ...ADMIN_ONLY]

type ScopeOf<R> = R extends { scope: infer S } ? S : never
type Used = ScopeOf<(typeof routes)[RouteId]>
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const exact: Same<ConsoleScope, Used> = true
void exact
