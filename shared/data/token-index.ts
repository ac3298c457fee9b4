import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { removeCounted } from './access-tokens.js'
import { db, table } from './client.js'
import { AccessToken, INDEXED_TOKEN_FIELDS, type RecordOfKind } from './entities.js'
import { isConditionFailed } from './errors.js'
import { indexKeys, indexPartitions, keys } from './keys.js'
import { tableSchema } from './table.js'
import { nextDue, type WarningDays } from './token-due.js'

const { index } = tableSchema

/** A personal token as the index holds it: metadata only, never its hash or meta. */
export type IndexedToken = Pick<
  RecordOfKind<'AccessToken'>,
  (typeof INDEXED_TOKEN_FIELDS)[number]
> & {
  /** Its index sort key as read (the sweeper's writes are conditional on it). */
  indexSk: string
}

export const indexedToken = (item: Record<string, unknown>): IndexedToken => ({
  ...AccessToken.pick(item, INDEXED_TOKEN_FIELDS),
  indexSk: String(item[index.sortKey]),
})

/** The rest of an index key: where a page of a team's tokens stopped. */
export const indexStartKey = (team: string, sk: string) => {
  const [, username = '', id = ''] = sk.split('#')
  return {
    [index.partitionKey]: indexPartitions.teamTokens(team),
    [index.sortKey]: sk,
    ...keys.accessToken(team, username, Number(id)),
  }
}

export interface IndexFilter {
  expression: string
  names?: Record<string, string>
  values: Record<string, unknown>
}

export interface IndexPage {
  tokens: IndexedToken[]
  /** The index sort key to continue after, when more may follow. */
  last?: string
  /** Index entries evaluated (what the page cost, in items). */
  evaluated: number
}

/** One filtered read never evaluates more than the largest page plus one (as readRange). */
const FILTER_BUDGET = 1001

/**
 * Up to `count` of a team's tokens from the index, after the sort key `after`, with
 * sort keys below `before` (tokens due before a time) and a filter. Asks for one item
 * more than it returns, so "more remain" needs no second read; a filtered page stops
 * after FILTER_BUDGET evaluated entries and resumes from the last one read.
 */
export async function readTeamTokens(
  team: string,
  count: number,
  options: { after?: string; before?: string; filter?: IndexFilter } = {},
): Promise<IndexPage> {
  const { after, before, filter } = options
  const tokens: IndexedToken[] = []
  let start: Record<string, unknown> | undefined = after ? indexStartKey(team, after) : undefined
  let evaluated = 0
  do {
    const wanted = count + 1 - tokens.length
    const page = await db().send(
      new QueryCommand({
        TableName: table(),
        IndexName: index.name,
        KeyConditionExpression: before ? '#pk = :pk AND #sk < :before' : '#pk = :pk',
        ExpressionAttributeNames: {
          '#pk': index.partitionKey,
          ...(before && { '#sk': index.sortKey }),
          ...filter?.names,
        },
        ExpressionAttributeValues: {
          ':pk': indexPartitions.teamTokens(team),
          ...(before && { ':before': before }),
          ...filter?.values,
        },
        ...(filter && { FilterExpression: filter.expression }),
        ExclusiveStartKey: start,
        Limit: filter ? Math.min(FILTER_BUDGET - evaluated, Math.max(wanted, 64)) : wanted,
      }),
    )
    tokens.push(...(page.Items ?? []).map(indexedToken))
    evaluated += page.ScannedCount ?? page.Items?.length ?? 0
    start = page.LastEvaluatedKey
  } while (start && tokens.length <= count && (!filter || evaluated < FILTER_BUDGET))
  if (tokens.length > count) {
    const returned = tokens.slice(0, count)
    return { tokens: returned, last: returned[count - 1]?.indexSk, evaluated }
  }
  return start ? { tokens, last: String(start[index.sortKey]), evaluated } : { tokens, evaluated }
}

/** Up to `limit` team names from `from` on (all when none), in name order, from the index. */
export async function readTeams(
  limit: number,
  from?: string,
): Promise<{ teams: string[]; more: boolean }> {
  const page = await db().send(
    new QueryCommand({
      TableName: table(),
      IndexName: index.name,
      KeyConditionExpression: from ? '#pk = :pk AND #sk >= :from' : '#pk = :pk',
      ExpressionAttributeNames: {
        '#pk': index.partitionKey,
        '#name': 'name',
        ...(from && { '#sk': index.sortKey }),
      },
      ExpressionAttributeValues: {
        ':pk': indexPartitions.teams(),
        ...(from && { ':from': from }),
      },
      ProjectionExpression: '#name',
      Limit: limit,
    }),
  )
  const teams = (page.Items ?? []).map((item) => String(item.name))
  return { teams, more: page.LastEvaluatedKey !== undefined }
}

/**
 * Records that the warning `days` before expiry went out (its change-stream record
 * is the AccessTokenExpiringSoon event) and moves the token to its next due time.
 * Conditional on the token being as read and not yet warned this close to expiry,
 * so a second sweeper, or the same one run again, sends nothing twice.
 */
export async function markExpiryWarning(
  token: IndexedToken,
  days: WarningDays,
  now: Date,
): Promise<boolean> {
  const due = nextDue(token.expiresAt, days, now)
  try {
    await db().send(
      new UpdateCommand({
        TableName: table(),
        Key: keys.accessToken(token.team, token.username, token.id),
        UpdateExpression: 'SET expiryWarned = :days, expiryWarnedAt = :now, #sk = :sk',
        ConditionExpression:
          'attribute_exists(PK) AND expiresAt = :expiresAt AND (attribute_not_exists(expiryWarned) OR expiryWarned > :days)',
        ExpressionAttributeNames: { '#sk': index.sortKey },
        ExpressionAttributeValues: {
          ':days': days,
          ':now': now.toISOString(),
          ':sk': indexKeys.accessToken(token.team, token.username, token.id, due).GSI1SK,
          ':expiresAt': token.expiresAt,
        },
      }),
    )
    return true
  } catch (error) {
    if (isConditionFailed(error)) return false
    throw error
  }
}

/** Why a token was removed by someone other than its owner (its REMOVE event says so). */
export interface Removal {
  by: string
  reason: 'admin' | 'expired' | 'inactive'
  at: string
}

/**
 * Removes a token with its name guard, recording who and why first: a REMOVE
 * record can't say who deleted an item, so the token is marked (one UpdateItem,
 * quiet on the stream) and then deleted with its guard (one transaction); the
 * REMOVE's old image carries the mark into the event. `condition` (on the token, as
 * marked) says when the removal still applies: a token used meanwhile is not
 * revoked for inactivity. False when there was no such token or it no longer applies.
 */
export async function removeAccessToken(
  team: string,
  username: string,
  id: number,
  removal: Removal,
  condition?: IndexFilter,
): Promise<boolean> {
  const key = keys.accessToken(team, username, id)
  let token: RecordOfKind<'AccessToken'>
  try {
    const { Attributes } = await db().send(
      new UpdateCommand({
        TableName: table(),
        Key: key,
        UpdateExpression: 'SET removalBy = :by, removalReason = :reason, removalAt = :at',
        ConditionExpression: condition
          ? `attribute_exists(PK) AND (${condition.expression})`
          : 'attribute_exists(PK)',
        ExpressionAttributeNames: condition?.names,
        ExpressionAttributeValues: {
          ':by': removal.by,
          ':reason': removal.reason,
          ':at': removal.at,
          ...condition?.values,
        },
        ReturnValues: 'ALL_NEW',
      }),
    )
    // The token as it is removed: its name guard goes with it, its bytes off the total.
    token = AccessToken.decode(Attributes ?? {})
  } catch (error) {
    if (isConditionFailed(error)) return false
    throw error
  }
  // Refused: deleted or marked again meanwhile, and whoever did it finishes the job.
  // With its owner's count lowered in the same transaction (quota: access-tokens.ts).
  const refused = await removeCounted(token, [
    {
      Delete: {
        TableName: table(),
        Key: key,
        ConditionExpression: 'removalAt = :at',
        ExpressionAttributeValues: { ':at': removal.at },
      },
    },
    { Delete: { TableName: table(), Key: keys.accessTokenName(team, username, token.name) } },
  ])
  return !refused
}
