import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { db, tableName } from './client.js'
import { cancellationReasons, isConditionFailed } from './errors.js'
import { keys } from './keys.js'

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

/** Creates a team and its first user together, or neither (a second bootstrap is a no-op). */
export async function putTeamWithUser(user: UserRecord): Promise<void> {
  try {
    await db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: tableName,
              Item: {
                ...keys.team(user.team),
                kind: 'Team',
                name: user.team,
                createdAt: user.createdAt,
              },
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
          {
            Put: {
              TableName: tableName,
              Item: { ...keys.user(user.team, user.username), kind: 'User', ...user, tokenSeq: 0 },
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
        ],
      }),
    )
  } catch (error) {
    const reasons = cancellationReasons(error)
    if (reasons?.[0] === 'ConditionalCheckFailed') throw new AlreadyExists('Team')
    if (reasons?.[1] === 'ConditionalCheckFailed') throw new AlreadyExists('User')
    throw error
  }
}

/** Adds a user to an existing team. */
export async function putUser(user: UserRecord): Promise<void> {
  try {
    await db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            ConditionCheck: {
              TableName: tableName,
              Key: keys.team(user.team),
              ConditionExpression: 'attribute_exists(PK)',
            },
          },
          {
            Put: {
              TableName: tableName,
              Item: { ...keys.user(user.team, user.username), kind: 'User', ...user, tokenSeq: 0 },
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
        ],
      }),
    )
  } catch (error) {
    const reasons = cancellationReasons(error)
    if (reasons?.[0] === 'ConditionalCheckFailed') throw new NoSuchTeam(user.team)
    if (reasons?.[1] === 'ConditionalCheckFailed') throw new AlreadyExists('User')
    throw error
  }
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
