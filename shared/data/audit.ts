import { QueryCommand } from '@aws-sdk/lib-dynamodb'
import { daysAfter } from '../time.js'
import { db, table } from './client.js'
import { AuditGuard, AuditRecord } from './entities.js'
import { ranges } from './keys.js'
import type { PageRead, RangeFilter } from './page.js'
import { type TransactItem, transact } from './transact.js'

/** One event as the audit trail keeps it: the event as published, and what it is filtered by. */
export interface AuditEntry {
  id: string
  team: string
  type: string
  actor: string
  time: string
  /** The published event (EventBridge's envelope fields), as JSON text. */
  event: string
}

const items = (entry: AuditEntry, retentionDays: number): TransactItem[] => {
  const expiresAt = daysAfter(entry.time, retentionDays)
  return [
    { Put: { TableName: table(), Item: AuditRecord.item({ ...entry, expiresAt }) } },
    {
      // The guard makes the pair conditional on the event id being new: a record
      // delivered again (a retried batch, a restarted poller) is not kept twice,
      // even if its time was read differently the second time.
      Put: {
        TableName: table(),
        Item: AuditGuard.item({ team: entry.team, eventId: entry.id, expiresAt }),
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    },
  ]
}

/**
 * Appends entries to their teams' trails, each at most once by event id: one
 * transaction for the batch (up to 10 events: 20 items); if some were kept before,
 * again without them. Answers how many were new.
 */
export async function appendAudit(entries: AuditEntry[], retentionDays: number): Promise<number> {
  let pending = entries
  while (pending.length > 0) {
    const refused = await transact(pending.flatMap((entry) => items(entry, retentionDays)))
    if (!refused) return pending.length
    // Item 2i + 1 is entry i's guard: those refused were kept before.
    pending = pending.filter((_, i) => refused[2 * i + 1] !== 'ConditionalCheckFailed')
  }
  return 0
}

/** One filtered read never evaluates more than the largest page plus one (as readRange). */
const FILTER_BUDGET = 1001

/**
 * A page of a team's trail, newest first: up to `count` entries older than the sort
 * key `after`, none older than `since`, matching `filter`. Asks for one more than it
 * returns, so "more remain" needs no second read; a filtered page evaluates at most
 * FILTER_BUDGET entries and may then stop short, resuming from the last one read.
 */
export async function readAudit(
  team: string,
  count: number,
  options: { after?: string; since?: string; filter?: RangeFilter },
): Promise<PageRead> {
  const { after, since, filter } = options
  const range = ranges.audit(team)
  const found: Record<string, unknown>[] = []
  let start: Record<string, unknown> | undefined = after ? { PK: range.PK, SK: after } : undefined
  let evaluated = 0
  do {
    const wanted = count + 1 - found.length
    const page = await db().send(
      new QueryCommand({
        TableName: table(),
        KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': range.PK,
          ':from': `${range.prefix}${since ?? ''}`,
          ':to': `${range.prefix}~`,
          ...filter?.values,
        },
        ...(filter && {
          FilterExpression: filter.expression,
          ExpressionAttributeNames: filter.names,
        }),
        ScanIndexForward: false,
        ExclusiveStartKey: start,
        Limit: filter ? Math.min(FILTER_BUDGET - evaluated, Math.max(wanted, 64)) : wanted,
        ConsistentRead: true,
      }),
    )
    found.push(...(page.Items ?? []))
    evaluated += page.ScannedCount ?? page.Items?.length ?? 0
    start = page.LastEvaluatedKey
  } while (start && found.length <= count && (!filter || evaluated < FILTER_BUDGET))
  if (found.length > count) {
    const items = found.slice(0, count)
    return { items, last: String(items[count - 1]?.SK) }
  }
  return start ? { items: found, last: String(start.SK) } : { items: found }
}
