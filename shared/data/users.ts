import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { db, tableName } from './client.js'
import { isConditionFailed } from './errors.js'
import { keys } from './keys.js'
import { type TransactItem, transact } from './transact.js'

export type Role = 'admin' | 'member'

export interface UserRecord {
  team: string
  username: string
  role: Role
  /** `scrypt$N$r$p$salt$hash`, absent for users who only use tokens. */
  passwordHash?: string
  mfaEnabled: boolean
  createdAt: string
}

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

function userItem(user: UserRecord) {
  const { team, username, role, passwordHash, mfaEnabled, createdAt } = user
  return {
    ...keys.user(team, username),
    kind: 'User',
    team,
    username,
    role,
    passwordHash,
    mfaEnabled,
    createdAt,
    tokenSeq: 0,
  }
}

/**
 * Puts a new user together with one other action (the team's creation, or a check
 * that it exists); `firstFailed` names what it means when that action's condition fails.
 */
async function putUserWith(user: UserRecord, first: TransactItem, firstFailed: () => Error) {
  const put: TransactItem = {
    Put: {
      TableName: tableName,
      Item: userItem(user),
      ConditionExpression: 'attribute_not_exists(PK)',
    },
  }
  const refused = await transact([first, put])
  if (refused?.[0] === 'ConditionalCheckFailed') throw firstFailed()
  if (refused) throw new AlreadyExists('User')
}

const teamItem = (team: string, createdAt: string) => ({
  ...keys.team(team),
  kind: 'Team',
  name: team,
  createdAt,
})

/** Creates a team with no users yet (the admin CLI adds them). */
export async function putTeam(team: string, createdAt: string): Promise<void> {
  try {
    await db.send(
      new PutCommand({
        TableName: tableName,
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
    { Put: { TableName: tableName, Item: team, ConditionExpression: 'attribute_not_exists(PK)' } },
    () => new AlreadyExists('Team'),
  )
}

/** Adds a user to an existing team. */
export function putUser(user: UserRecord): Promise<void> {
  return putUserWith(
    user,
    {
      ConditionCheck: {
        TableName: tableName,
        Key: keys.team(user.team),
        ConditionExpression: 'attribute_exists(PK)',
      },
    },
    () => new NoSuchTeam(user.team),
  )
}

export async function teamExists(team: string): Promise<boolean> {
  const { Item } = await db.send(
    new GetCommand({ TableName: tableName, Key: keys.team(team), ConsistentRead: true }),
  )
  return Item !== undefined
}

export async function getUser(team: string, username: string): Promise<UserRecord | undefined> {
  const { Item } = await db.send(
    new GetCommand({ TableName: tableName, Key: keys.user(team, username), ConsistentRead: true }),
  )
  if (!Item) return undefined
  const { team: t, username: u, role, passwordHash, mfaEnabled, createdAt } = Item
  return { team: t, username: u, role, passwordHash, mfaEnabled, createdAt }
}

/**
 * Takes the user's next personal token id: one atomic counter per user, so ids
 * increase per user without races. Undefined when the user does not exist.
 */
export async function nextTokenId(team: string, username: string): Promise<number | undefined> {
  try {
    const { Attributes } = await db.send(
      new UpdateCommand({
        TableName: tableName,
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

export type UserChanges = Partial<Pick<UserRecord, 'role' | 'passwordHash' | 'mfaEnabled'>>

/** Changes a user's role, password hash or MFA flag; false when there is no such user. */
export async function updateUser(
  team: string,
  username: string,
  changes: UserChanges,
): Promise<boolean> {
  const entries = Object.entries(changes).filter(([, value]) => value !== undefined)
  if (entries.length === 0) throw new Error('updateUser needs at least one change')
  try {
    await db.send(
      new UpdateCommand({
        TableName: tableName,
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
