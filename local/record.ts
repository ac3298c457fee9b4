import { appendFileSync } from 'node:fs'

/**
 * Test instrumentation, off unless `LATCHKEY_ROUTE_RECORD` names a file: the local
 * server appends one JSON line per response (`{route, status}`) and per DynamoDB
 * action a route's handler performs (`{route, action}`). The integration tier's global
 * teardown reads the lines of the whole run to check that every route's grant is used
 * (least privilege, the other half) and every declared status is produced by a test.
 */
export type RouteUse = { route: string; status: number } | { route: string; action: string }

export function recordRouteUse(use: RouteUse): void {
  const file = process.env.LATCHKEY_ROUTE_RECORD
  // Synchronous and one line at a time: a test process may end right after a response.
  if (file) appendFileSync(file, `${JSON.stringify(use)}\n`)
}
