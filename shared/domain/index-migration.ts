import type { Item } from '../data/entity.js'
import {
  addIndexKey,
  getIndexMigration,
  type IndexMigrationState,
  indexKeyOf,
  putIndexMigration,
  scanUnindexed,
} from '../data/index-migration.js'
import type { Key } from '../data/keys.js'

/**
 * Gives the index keys to teams and personal tokens written before the index existed
 * (issue 14), so the admin views and the sweeper see them. Run by the sweeper before
 * each sweep (on AWS its schedule: no operator's machine involved), it is:
 * - bounded: a run reads at most `budget` items (Scan pages of up to 1,000) and
 *   writes only the items that lack keys, 8 at a time;
 * - resumable: the Scan's position is saved after every page, so the next run (or
 *   one after a crash) carries on from there;
 * - idempotent: each write is conditional on the item still lacking index keys;
 * - finished for good only by a whole pass that found nothing to index (a token an
 *   older version wrote mid-deploy behind the first pass is caught by the second);
 *   from then on a run costs one GetItem.
 */
export interface IndexMigrationReport {
  scanned: number
  indexed: number
  /** True once a whole pass found nothing left: the migration is over. */
  done: boolean
}

export const MIGRATION_BUDGET = 10_000
const PAGE = 1_000
const IN_FLIGHT = 8

export async function migrateIndexKeys(
  now: Date,
  budget = MIGRATION_BUDGET,
): Promise<IndexMigrationReport> {
  const saved = await getIndexMigration()
  if (saved?.finishedAt) return { scanned: 0, indexed: 0, done: true }
  let state: IndexMigrationState = saved ?? {
    cursor: null,
    pass: 1,
    passIndexed: 0,
    scanned: 0,
    indexed: 0,
    finishedAt: null,
    updatedAt: now.toISOString(),
  }
  const report: IndexMigrationReport = { scanned: 0, indexed: 0, done: false }
  while (report.scanned < budget && !state.finishedAt) {
    const start = state.cursor ? (JSON.parse(state.cursor) as Key) : undefined
    const page = await scanUnindexed(Math.min(PAGE, budget - report.scanned), start)
    const indexed = await indexAll(page.items)
    report.scanned += page.scanned
    report.indexed += indexed
    state = advance(state, page, indexed, now)
    await putIndexMigration(state)
    if (page.scanned === 0) break // an empty table: the pass above finished it
  }
  return { ...report, done: state.finishedAt !== null }
}

/** Writes the items' index keys, a few at a time; how many were written. */
async function indexAll(items: Item[]): Promise<number> {
  let written = 0
  for (let i = 0; i < items.length; i += IN_FLIGHT) {
    const outcomes = await Promise.all(
      items.slice(i, i + IN_FLIGHT).map((item) => {
        const indexKey = indexKeyOf(item)
        return indexKey
          ? addIndexKey({ PK: String(item.PK), SK: String(item.SK) }, indexKey)
          : false
      }),
    )
    written += outcomes.filter(Boolean).length
  }
  return written
}

/** The state after a page: on from its end, or a pass over (finished if it indexed nothing). */
function advance(
  state: IndexMigrationState,
  page: { scanned: number; last?: Key },
  indexed: number,
  now: Date,
): IndexMigrationState {
  const next = {
    ...state,
    scanned: state.scanned + page.scanned,
    indexed: state.indexed + indexed,
    passIndexed: state.passIndexed + indexed,
    updatedAt: now.toISOString(),
  }
  if (page.last) return { ...next, cursor: JSON.stringify(page.last) }
  if (next.passIndexed === 0) return { ...next, cursor: null, finishedAt: now.toISOString() }
  // The pass found items: another whole pass, from the start, must find none.
  return { ...next, cursor: null, pass: next.pass + 1, passIndexed: 0 }
}
