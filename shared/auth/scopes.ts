import type { Role } from '../data/users.js'

/**
 * Scopes (API.md, Scopes): each of Latchkey's own routes needs one of these, declared
 * in its route row. Any other scope string belongs to the user's own APIs: Latchkey
 * never interprets it, verify and the authorizer hand it back.
 */
export const BUILT_IN_SCOPES = [
  'tokens:read',
  'tokens:write',
  'projects:read',
  'projects:write',
  'enrollment:read',
  'enrollment:write',
  'servers:read',
  'servers:write',
  'tokens:verify',
] as const

export type BuiltInScope = (typeof BUILT_IN_SCOPES)[number]

/** What a member may not do (policy.ts: admins manage), so a member's token may not hold. */
const ADMIN_ONLY: ReadonlySet<string> = new Set([
  'projects:write',
  'enrollment:write',
  'servers:write',
])

const builtIn: ReadonlySet<string> = new Set(BUILT_IN_SCOPES)

/**
 * A token's scopes: a list, or null for a token made without any, which keeps the
 * original meaning (everything its user's role allows on Latchkey's routes, and none
 * of the user's own scopes, so an old token never passes a new API's check).
 */
export type Scopes = readonly string[] | null

/** Whether a token holds a scope, its role aside (the role is checked where it is known). */
export const holds = (scopes: Scopes, scope: string): boolean =>
  scopes === null ? builtIn.has(scope) : scopes.includes(scope)

/** Whether holding these scopes takes the admin role (so the role must be known). */
export const needsAdmin = (scopes: readonly string[]): boolean =>
  scopes.some((scope) => ADMIN_ONLY.has(scope))

/** The first of `wanted` a role may not hold, if any. */
export const beyondRole = (wanted: readonly string[], role: Role): string | undefined =>
  role === 'admin' ? undefined : wanted.find((scope) => ADMIN_ONLY.has(scope))

/** The first of `wanted` that `held` does not cover, if any. */
export const notHeld = (held: Scopes, wanted: readonly string[]): string | undefined =>
  wanted.find((scope) => !holds(held, scope))
