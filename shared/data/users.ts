import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { db, table } from './client.js'
import { Team, User } from './entities.js'
import type { RecordOf } from './entity.js'
import { isConditionFailed } from './errors.js'
import { keys, ranges } from './keys.js'
import { readRange } from './page.js'
import { type TransactItem, transact } from './transact.js'

/** A user as the domain sees it (the token id counter stays in the data layer). */
export type UserRecord = Omit<
  RecordOf<typeof User.attributes>,
  'tokenSeq' | 'tokenCount' | 'tokenBytes' | 'revokedThrough'
>
export type Role = UserRecord['role']

export class AlreadyExists extends Error {
  constructor(readonly entity: 'Team' | 'User') {
    super(`${entity} already exists`)
    this.name = 'AlreadyExists'
  }
}

export class NoSuchTeam extends Error {
  constructor(readonly team: string) {
    super(`no team ${team}`)
    this.name = 'NoSuchTeam'
  }
}

const userItem = (user: UserRecord) =>
  User.item({ ...user, tokenSeq: 0, tokenCount: 0, tokenBytes: 0, revokedThrough: null })

/**
 * Puts a new user together with one other action (the team's creation, or a check
 * that it exists); `firstFailed` names what it means when that action's condition fails.
 */
async function putUserWith(user: UserRecord, first: TransactItem, firstFailed: () => Error) {
  const put: TransactItem = {
    Put: {
      TableName: table(),
      Item: userItem(user),
      ConditionExpression: 'attribute_not_exists(PK)',
    },
  }
  const refused = await transact([first, put])
  if (refused?.[0] === 'ConditionalCheckFailed') throw firstFailed()
  if (refused) throw new AlreadyExists('User')
}

const teamItem = (name: string, createdAt: string) => Team.item({ name, createdAt })

/** Creates a team with no users yet (the admin CLI adds them). */
export async function putTeam(team: string, createdAt: string): Promise<void> {
  try {
    await db().send(
      new PutCommand({
        TableName: table(),
        Item: teamItem(team, createdAt),
        ConditionExpression: 'attribute_not_exists(PK)',
      }),
    )
  } catch (error) {
    if (isConditionFailed(error)) throw new AlreadyExists('Team')
    throw error
  }
}

/** Creates a team and its first user together, or neither (a second bootstrap is a no-op). */
export function putTeamWithUser(user: UserRecord): Promise<void> {
  const team = teamItem(user.team, user.createdAt)
  return putUserWith(
    user,
    { Put: { TableName: table(), Item: team, ConditionExpression: 'attribute_not_exists(PK)' } },
    () => new AlreadyExists('Team'),
  )
}

/** Adds a user to an existing team. */
export function putUser(user: UserRecord): Promise<void> {
  return putUserWith(
    user,
    {
      ConditionCheck: {
        TableName: table(),
        Key: keys.team(user.team),
        ConditionExpression: 'attribute_exists(PK)',
      },
    },
    () => new NoSuchTeam(user.team),
  )
}

export async function teamExists(team: string): Promise<boolean> {
  const { Item } = await db().send(
    new GetCommand({ TableName: table(), Key: keys.team(team), ConsistentRead: true }),
  )
  return Item !== undefined
}

/** A user as the service sees it: the token bookkeeping on its item left out. */
function userOf(item: Record<string, unknown>): UserRecord {
  const {
    tokenSeq: _s,
    tokenCount: _c,
    tokenBytes: _b,
    revokedThrough: _m,
    ...user
  } = User.decode(item)
  return user
}

export async function getUser(team: string, username: string): Promise<UserRecord | undefined> {
  const { Item } = await db().send(
    new GetCommand({ TableName: table(), Key: keys.user(team, username), ConsistentRead: true }),
  )
  return Item ? userOf(Item) : undefined
}

/**
 * Takes the user's next personal token id: one atomic counter per user, so ids
 * increase per user without races. Undefined when the user does not exist.
 */
export async function nextTokenId(team: string, username: string): Promise<number | undefined> {
  try {
    const { Attributes } = await db().send(
      new UpdateCommand({
        TableName: table(),
        Key: keys.user(team, username),
        UpdateExpression: 'ADD tokenSeq :one',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    )
    return Number(Attributes?.tokenSeq)
  } catch (error) {
    if (isConditionFailed(error)) return undefined
    throw error
  }
}

export interface UserChanges {
  role?: Role
  passwordHash?: string
  mfaEnabled?: boolean
}

/** Changes a user's role, password hash or MFA flag; false when there is no such user. */
export async function updateUser(
  team: string,
  username: string,
  changes: UserChanges,
): Promise<boolean> {
  const entries = Object.entries(changes).filter(([, value]) => value !== undefined)
  if (entries.length === 0) throw new Error('updateUser needs at least one change')
  try {
    await db().send(
      new UpdateCommand({
        TableName: table(),
        Key: keys.user(team, username),
        UpdateExpression: `SET ${entries.map(([name]) => `#${name} = :${name}`).join(', ')}`,
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeNames: Object.fromEntries(entries.map(([name]) => [`#${name}`, name])),
        ExpressionAttributeValues: Object.fromEntries(
          entries.map(([name, value]) => [`:${name}`, value]),
        ),
      }),
    )
    return true
  } catch (error) {
    if (isConditionFailed(error)) return false
    throw error
  }
}

/** A page of a team's users by name, after the sort key `after`; `last` when more follow. */
export async function readUsers(
  team: string,
  count: number,
  after?: string,
): Promise<{ users: UserRecord[]; last?: string }> {
  const page = await readRange(ranges.users(team), count, after)
  const users = page.items.map(userOf)
  return { users, last: page.last }
}
