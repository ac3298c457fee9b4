import { GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { db, table } from './client.js'
import { ENTITIES, IndexMigration } from './entities.js'
import type { Item, RecordOf } from './entity.js'
import { isConditionFailed } from './errors.js'
import { type IndexKey, type Key, keys } from './keys.js'
import { tableSchema } from './table.js'

const { index } = tableSchema

export type IndexMigrationState = RecordOf<typeof IndexMigration.attributes>

/** Every kind the index holds: those whose declaration gives an index key. */
export const INDEXED_KINDS = Object.values(ENTITIES)
  .filter((declared) => 'index' in declared && declared.index !== undefined)
  .map((declared) => declared.kind)

/** The index key an item of an indexed kind should carry, from its own declaration. */
export function indexKeyOf(item: Item): IndexKey | undefined {
  const declared = Object.values(ENTITIES).find((entity) => entity.kind === item.kind)
  if (!declared || !('index' in declared) || !declared.index) return undefined
  // The declaration's decode and index go together: the record is of its own kind.
  const indexOf = declared.index as (record: unknown) => IndexKey
  return indexOf(declared.decode(item))
}

export async function getIndexMigration(): Promise<IndexMigrationState | undefined> {
  const { Item } = await db().send(
    new GetCommand({ TableName: table(), Key: keys.indexMigration(), ConsistentRead: true }),
  )
  return Item ? IndexMigration.decode(Item) : undefined
}

export async function putIndexMigration(state: IndexMigrationState): Promise<void> {
  await db().send(new PutCommand({ TableName: table(), Item: IndexMigration.item(state) }))
}

/**
 * One page of the table's items of an indexed kind that have no index key: a Scan
 * (nothing else reaches items the index does not hold), reading at most `limit` items
 * (and 1 MB), from `start` on. `scanned` is what the page read, matched or not.
 */
export async function scanUnindexed(
  limit: number,
  start?: Key,
): Promise<{ items: Item[]; scanned: number; last?: Key }> {
  const kinds = INDEXED_KINDS.map((_, i) => `:k${i}`)
  const page = await db().send(
    new ScanCommand({
      TableName: table(),
      FilterExpression: `attribute_not_exists(#pk) AND #kind IN (${kinds.join(', ')})`,
      ExpressionAttributeNames: { '#pk': index.partitionKey, '#kind': 'kind' },
      ExpressionAttributeValues: Object.fromEntries(
        INDEXED_KINDS.map((kind, i) => [`:k${i}`, kind]),
      ),
      Limit: limit,
      ExclusiveStartKey: start,
    }),
  )
  const last = page.LastEvaluatedKey
  return {
    items: page.Items ?? [],
    scanned: page.ScannedCount ?? 0,
    ...(last && { last: { PK: String(last.PK), SK: String(last.SK) } }),
  }
}

/**
 * Gives an item its index key, only if it still has none (a write since may have
 * given it one, perhaps a later due time) and still exists: run twice, or beside
 * another run, it writes once. Quiet on the stream (events.ts publishes nothing for
 * an index key). False when there was nothing to do.
 */
export async function addIndexKey(key: Key, indexKey: IndexKey): Promise<boolean> {
  try {
    await db().send(
      new UpdateCommand({
        TableName: table(),
        Key: key,
        UpdateExpression: 'SET #pk = :pk, #sk = :sk',
        ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': index.partitionKey, '#sk': index.sortKey },
        ExpressionAttributeValues: { ':pk': indexKey.GSI1PK, ':sk': indexKey.GSI1SK },
      }),
    )
    return true
  } catch (error) {
    if (isConditionFailed(error)) return false
    throw error
  }
}
