import { DeleteCommand } from '@aws-sdk/lib-dynamodb'
import { deleteAllAccessTokens } from './access-tokens.js'
import { deleteKeys } from './batch.js'
import { db, table } from './client.js'
import { Team, User } from './entities.js'
import { isConditionFailed } from './errors.js'
import { type Key, keys, ranges } from './keys.js'
import { rangePages, scanPages } from './page.js'
import type { Role } from './users.js'

/**
 * What only the operator does (the admin CLI, with the operator's own credentials):
 * whole-table and whole-team work. No route uses these, so no function's grant holds
 * `Scan`.
 */
export interface TeamSummary {
  name: string
  createdAt: string
}

/** Every team: a Scan of the table filtered to team items (teams have no index of their own). */
export async function listTeams(): Promise<TeamSummary[]> {
  const teams: TeamSummary[] = []
  const pages = scanPages({
    TableName: table(),
    FilterExpression: '#kind = :team',
    ProjectionExpression: '#name, createdAt',
    ExpressionAttributeNames: { '#kind': 'kind', '#name': 'name' },
    ExpressionAttributeValues: { ':team': Team.kind },
  })
  for await (const page of pages) for (const item of page.Items ?? []) teams.push(Team.decode(item))
  return teams.sort((a, b) => a.name.localeCompare(b.name))
}

export interface UserSummary {
  username: string
  role: Role
  hasPassword: boolean
  mfaEnabled: boolean
  createdAt: string
}

/** A team's users by name (never their password hashes: only whether one is set). */
export async function listUsers(team: string): Promise<UserSummary[]> {
  const users: UserSummary[] = []
  for await (const page of rangePages(ranges.users(team))) {
    for (const item of page.Items ?? []) {
      const { username, role, passwordHash, mfaEnabled, createdAt } = User.decode(item)
      users.push({ username, role, hasPassword: passwordHash !== null, mfaEnabled, createdAt })
    }
  }
  return users
}

const deleteIfExists = async (key: Key) => {
  try {
    await db().send(
      new DeleteCommand({
        TableName: table(),
        Key: key,
        ConditionExpression: 'attribute_exists(PK)',
      }),
    )
    return true
  } catch (error) {
    if (isConditionFailed(error)) return false
    throw error
  }
}

/**
 * Deletes a user, then their personal tokens and sign-in attempts. The user goes
 * first: no new token can be minted for a missing user, so none outlives this.
 * Undefined when there was no such user; else how many tokens went.
 */
export async function deleteUser(team: string, username: string): Promise<number | undefined> {
  if (!(await deleteIfExists(keys.user(team, username)))) return undefined
  const tokens = await deleteAllAccessTokens(team, username)
  await deleteKeys([keys.signInAttempts(team, username)])
  return tokens
}

/**
 * Deletes the team item (so no user can join it any more); its users, projects and
 * the rest go with the callers' own steps. False when there was no such team.
 */
export const deleteTeamRecord = (team: string) => deleteIfExists(keys.team(team))

/** What is left in a team's partition once users and projects are gone: sign-in windows. */
export async function deleteSignInAttempts(team: string): Promise<void> {
  for await (const page of rangePages(ranges.signInAttempts(team), 'PK, SK'))
    await deleteKeys((page.Items ?? []) as Key[])
}
