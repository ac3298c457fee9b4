import { paginateQuery, QueryCommand } from '@aws-sdk/lib-dynamodb'
import { db, tableName } from './client.js'
import type { Range } from './keys.js'

export interface PageRead {
  items: Record<string, unknown>[]
  /** The sort key of the last item returned, when more items follow it. */
  last?: string
}

/**
 * Reads up to `count` items of a range after the sort key `after`. It asks for one
 * item more than it returns, so "more remain" is known without a second, possibly
 * empty, page; a 1 MB response boundary only means another Query.
 */
export async function readRange(range: Range, count: number, after?: string): Promise<PageRead> {
  const items: Record<string, unknown>[] = []
  let start: Record<string, unknown> | undefined = after ? { PK: range.PK, SK: after } : undefined
  do {
    const page = await db.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': range.PK, ':prefix': range.prefix },
        ExclusiveStartKey: start,
        Limit: count + 1 - items.length,
        ConsistentRead: true,
      }),
    )
    items.push(...(page.Items ?? []))
    start = page.LastEvaluatedKey
  } while (start && items.length <= count)
  if (items.length <= count) return { items }
  const returned = items.slice(0, count)
  return { items: returned, last: String(returned[count - 1]?.SK) }
}

/** Every page of a range, strongly consistent, optionally projected: for whole-range work. */
export const rangePages = (range: Range, projection?: string) =>
  paginateQuery(
    { client: db },
    {
      TableName: tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': range.PK, ':prefix': range.prefix },
      ProjectionExpression: projection,
      ConsistentRead: true,
    },
  )
