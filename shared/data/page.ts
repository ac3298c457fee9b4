import {
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
} from '@aws-sdk/lib-dynamodb'
import { db, table } from './client.js'
import type { Range } from './keys.js'

export interface PageRead {
  items: Record<string, unknown>[]
  /** The sort key of the last item returned (or, filtered, read), when more may follow. */
  last?: string
}

/** A DynamoDB filter on a range's items, e.g. `contains(#name, :contains)`. */
export interface RangeFilter {
  expression: string
  names: Record<string, string>
  values: Record<string, unknown>
}

export interface RangeOptions {
  /** Read the range from its end (sort keys descending). */
  backward?: boolean
  filter?: RangeFilter
}

/**
 * How many items one filtered read may evaluate: the largest page plus one, so a
 * filtered page never costs more than the largest unfiltered one.
 */
export const FILTER_BUDGET = 1001

/** The first Limit of a filtered read; each further Query doubles it (5 Queries reach the budget). */
const FILTER_FIRST_CHUNK = 64

/**
 * Reads up to `count` items of a range after the sort key `after`. It asks for one
 * item more than it returns, so "more remain" is known without a second, possibly
 * empty, page; a 1 MB response boundary only means another Query.
 *
 * With a filter, DynamoDB reads items and then drops those that do not match, so a
 * sparse match could read the whole range. Each call instead evaluates at most
 * FILTER_BUDGET items; if the budget runs out first it returns the matches so far
 * (maybe none) with `last` at the last item evaluated, and the next page resumes there.
 */
export async function readRange(
  range: Range,
  count: number,
  after?: string,
  options: RangeOptions = {},
): Promise<PageRead> {
  const { filter, backward } = options
  const items: Record<string, unknown>[] = []
  let start: Record<string, unknown> | undefined = after ? { PK: range.PK, SK: after } : undefined
  let evaluated = 0
  let chunk = FILTER_FIRST_CHUNK
  do {
    const wanted = count + 1 - items.length
    const limit = filter ? Math.min(FILTER_BUDGET - evaluated, Math.max(wanted, chunk)) : wanted
    const page = await db().send(
      new QueryCommand({
        TableName: table(),
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: {
          ':pk': range.PK,
          ':prefix': range.prefix,
          ...filter?.values,
        },
        ...(filter && {
          FilterExpression: filter.expression,
          ExpressionAttributeNames: filter.names,
        }),
        ...(backward && { ScanIndexForward: false }),
        ExclusiveStartKey: start,
        Limit: limit,
        ConsistentRead: true,
      }),
    )
    items.push(...(page.Items ?? []))
    evaluated += page.ScannedCount ?? page.Items?.length ?? 0
    chunk *= 2
    start = page.LastEvaluatedKey
  } while (start && items.length <= count && (!filter || evaluated < FILTER_BUDGET))
  if (items.length > count) {
    const returned = items.slice(0, count)
    return { items: returned, last: String(returned[count - 1]?.SK) }
  }
  // Only a filtered read stops with a key to go on from and room left on the page.
  return start ? { items, last: String(start.SK) } : { items }
}

/**
 * Every page of a Query or a Scan, from `start` on, following LastEvaluatedKey. Ours,
 * not lib-dynamodb's paginators: those accept only the SDK's client class, and the
 * store's client is the lean transport (shared/aws/lean-dynamodb.ts).
 */
async function* pagesOf<Page extends { LastEvaluatedKey?: Record<string, unknown> }>(
  read: (start: Record<string, unknown> | undefined) => Promise<Page>,
  start?: Record<string, unknown>,
) {
  let next = start
  do {
    const page = await read(next)
    yield page
    next = page.LastEvaluatedKey
  } while (next)
}
export const queryPages = (input: QueryCommandInput, start?: Record<string, unknown>) =>
  pagesOf(
    (ExclusiveStartKey) =>
      db().send(new QueryCommand({ ...input, ...(ExclusiveStartKey && { ExclusiveStartKey }) })),
    start,
  )
export const scanPages = (input: ScanCommandInput) =>
  pagesOf((ExclusiveStartKey) =>
    db().send(new ScanCommand({ ...input, ...(ExclusiveStartKey && { ExclusiveStartKey }) })),
  )

/**
 * Every page of a range (after the sort key `after`, when given), strongly consistent,
 * optionally projected: for whole-range work.
 */
export const rangePages = (range: Range, projection?: string, after?: string) =>
  queryPages(
    {
      TableName: table(),
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': range.PK, ':prefix': range.prefix },
      ProjectionExpression: projection,
      ConsistentRead: true,
    },
    after === undefined ? undefined : { PK: range.PK, SK: after },
  )
