import { readFileSync } from 'node:fs'
import type { RouteUse } from '../../local/record.js'
import type { ErrorCode } from '../../shared/errors.js'
import { STATUS } from '../../shared/http/errors.js'
import {
  accessTableActions,
  authTableActions,
  errorsOf,
  type RouteSpec,
  routeList,
  type TableAction,
  tableActionsOf,
} from '../../shared/routes.js'

/**
 * Grants the integration suite can't exercise locally, with why. Anything else a
 * route is granted must be used by that route somewhere in the suite.
 */
export const AWS_ONLY_ACTIONS: Record<string, readonly string[]> = {
  // Locally the verification keys come from the key file; on AWS from the table.
  'GET /.well-known/jwks.json': ['GetItem'],
  // On AWS the signer publishes KMS's public keys to the table; locally there is a key file.
  'POST /v1/teams/{team}/service_token': ['PutItem'],
}

/**
 * Error codes every route of a kind implies that no request-level test needs to
 * produce per route: outages (a fault injected in the unit tier), the shared
 * body-reading limits (one middleware, tested on POST /api/tokens and in the unit tier)
 * and the per-token rate limit (one authentication step, exact under concurrency on
 * GET /api/tokens, and through verify and the authorizer).
 */
export const GENERIC_CODES: readonly ErrorCode[] = [
  'unknown_error',
  'service_offline',
  'payload_too_large',
  'unsupported_content_type',
  'too_many_requests',
]

/** Statuses a route declares that no local request can produce, with why. */
export const UNREACHABLE_STATUSES: Record<string, readonly number[]> = {
  // Its path parameters are checked against the server token before validation: a
  // malformed path can't match a well-formed token, so it is a 401.
  'POST /v1/teams/{team}/projects/{project}/servers/{serverId}/heartbeat': [400],
}

export const routeKey = (route: Pick<RouteSpec, 'method' | 'path'>) =>
  `${route.method} ${route.path}`

/** Every status a row declares: its success answers and its errors (those it implies too). */
export const declaredStatuses = (route: RouteSpec): number[] => [
  ...new Set([
    ...Object.keys(route.responses).map(Number),
    ...errorsOf(route)
      // A generic code the row declares itself (the password grant's lockout) is its own.
      .filter((code) => !GENERIC_CODES.includes(code) || route.errors.includes(code))
      .map((code) => STATUS[code]),
  ]),
]

export function readRouteUses(file: string): RouteUse[] {
  const text = (() => {
    try {
      return readFileSync(file, 'utf8')
    } catch {
      return ''
    }
  })()
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as RouteUse)
}

/**
 * What a whole integration run left unproved: granted table actions a route never
 * used (least privilege's other half: the local IAM emulation already refuses what a
 * grant lacks), and declared statuses no request to the route produced. A route's
 * own `table` actions must be used by that route; what its kind of authentication or
 * authorisation costs (one middleware, shared) by some route of that kind, since a
 * personal token's once-a-minute `lastUsed` write can't be due on every route.
 */
export function unprovedRouteClaims(
  uses: readonly RouteUse[],
  routes: readonly RouteSpec[] = routeList,
): string[] {
  const actions = new Map<string, Set<string>>()
  const statuses = new Map<string, Set<number>>()
  for (const use of uses) {
    if ('action' in use) {
      const seen = actions.get(use.route) ?? new Set()
      actions.set(use.route, seen.add(use.action))
    } else {
      const seen = statuses.get(use.route) ?? new Set()
      statuses.set(use.route, seen.add(use.status))
    }
  }
  const usedBySome = (of: (route: RouteSpec) => boolean, action: string) =>
    routes.some((other) => of(other) && actions.get(routeKey(other))?.has(action))
  const problems: string[] = []
  for (const route of routes) {
    const key = routeKey(route)
    const awsOnly = AWS_ONLY_ACTIONS[key] ?? []
    const proved = (action: TableAction) =>
      awsOnly.includes(action) ||
      actions.get(key)?.has(action) ||
      (authTableActions[route.auth].includes(action) &&
        usedBySome((other) => other.auth === route.auth, action)) ||
      (route.access !== undefined &&
        accessTableActions[route.access].includes(action) &&
        usedBySome((other) => other.access === route.access, action))
    for (const action of tableActionsOf(route))
      if (!proved(action))
        problems.push(`${key}: granted dynamodb:${action}, which no request in the suite used`)
    const unreachable = UNREACHABLE_STATUSES[key] ?? []
    for (const status of declaredStatuses(route))
      if (!unreachable.includes(status) && !statuses.get(key)?.has(status))
        problems.push(`${key}: declares ${status}, which no request in the suite produced`)
  }
  return problems
}
