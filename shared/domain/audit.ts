import { readAudit } from '../data/audit.js'
import { AuditRecord } from '../data/entities.js'
import { ranges } from '../data/keys.js'
import type { RangeFilter } from '../data/page.js'
import { invalidRequest } from '../errors.js'
import type { AuditEvent } from '../schemas/views.js'
import { type Page, type PageQuery, pageRequest, toPage } from './pagination.js'

export interface AuditQuery extends PageQuery {
  type?: string
  actor?: string
  since?: string
}

/**
 * A page of the team's audit trail, newest first (API.md, Lifecycle events and
 * audit): each event as it was published. `since` is a range of the sort key, so it
 * costs nothing; `type` and `actor` are filters, bound into the cursor with `since`.
 */
export async function listAudit(team: string, query: AuditQuery): Promise<Page<AuditEvent>> {
  const since = query.since === undefined ? undefined : Date.parse(query.since)
  // Date.parse rolls impossible dates over (February 30th is March 2nd): refuse them.
  const real =
    since === undefined ||
    (!Number.isNaN(since) &&
      new Date(since).toISOString().slice(0, 19) === query.since?.slice(0, 19))
  if (!real)
    throw invalidRequest('since is not a valid time.', [
      { description: 'since', message: 'is not a valid time' },
    ])
  const from = typeof since === 'number' ? new Date(since).toISOString() : undefined
  const trail = ranges.audit(team)
  const view = JSON.stringify([query.type ?? null, query.actor ?? null, from ?? null])
  const list = { PK: `${trail.PK}|${view}`, prefix: trail.prefix }
  const request = pageRequest(list, query)
  const page = await readAudit(team, request.count, {
    after: request.after,
    since: from,
    filter: filterOf(query),
  })
  const events = page.items.map((item) => JSON.parse(AuditRecord.decode(item).event) as AuditEvent)
  return toPage(list, request, events, page.last)
}

function filterOf({ type, actor }: AuditQuery): RangeFilter | undefined {
  const terms = Object.entries({ type, actor }).filter(
    (entry): entry is [string, string] => entry[1] !== undefined,
  )
  if (terms.length === 0) return undefined
  return {
    expression: terms.map(([name]) => `#${name} = :${name}`).join(' AND '),
    names: Object.fromEntries(terms.map(([name]) => [`#${name}`, name])),
    values: Object.fromEntries(terms.map(([name, value]) => [`:${name}`, value])),
  }
}
