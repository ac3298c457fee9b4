import type { UserCaller } from '../shared/auth/caller.js'
import { hashPassword } from '../shared/auth/password.js'
import { listAccessTokens } from '../shared/data/access-tokens.js'
import { deleteEnrollmentToken, listEnrollmentTokens } from '../shared/data/enrollment-tokens.js'
import {
  deleteSignInAttempts,
  deleteTeamRecord,
  deleteUser as deleteUserRecords,
  listTeams,
  listUsers,
} from '../shared/data/operator.js'
import { getProject, listProjects, putProject } from '../shared/data/projects.js'
import { listServers } from '../shared/data/servers.js'
import {
  AlreadyExists,
  getUser,
  NoSuchTeam,
  putTeam,
  putUser,
  type Role,
  teamExists,
  type UserChanges,
  updateUser,
} from '../shared/data/users.js'
import { createAccessToken } from '../shared/domain/access-tokens.js'
import { type AuditQuery, listAudit } from '../shared/domain/audit.js'
import {
  addCloudAccount,
  type CloudAccountRequest,
  listProjectCloudAccounts,
  removeCloudAccount,
} from '../shared/domain/cloud-accounts.js'
import { deleteProject as deleteProjectWithChildren } from '../shared/domain/projects.js'
import { removeServer } from '../shared/domain/servers.js'
import {
  listTeamTokens,
  revokeTeamUserToken,
  type TeamTokensQuery,
} from '../shared/domain/team-tokens.js'
import {
  readTeamTokenPolicy,
  setTeamTokenPolicy,
  type TokenPolicyChange,
} from '../shared/domain/token-policies.js'
import { DomainError } from '../shared/errors.js'
import { CliError } from './errors.js'

export { CliError }

const now = () => new Date().toISOString()

/** The CLI acts as the operator: events and deletion records name it `cli`. */
const OPERATOR = 'cli'
const operatorIn = (team: string): UserCaller => ({
  kind: 'user',
  team,
  username: OPERATOR,
  credential: { type: 'service_token', jti: OPERATOR, role: 'admin' },
  scopes: null,
})

/** A list for the terminal: a header row, then aligned columns ("-" for nothing). */
export function table(header: string[], rows: (string | number | boolean | null)[][]): string {
  const cells = [
    header,
    ...rows.map((row) => row.map((cell) => (cell === null ? '-' : String(cell)))),
  ]
  const widths = header.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)))
  return cells
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

/** Maps the domain's "not found" to the operator's one line; other errors stay. */
async function orMissing<T>(work: () => Promise<T>, what: string): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof DomainError && error.code === 'resource_does_not_exist')
      throw new CliError(`no ${what}`)
    throw error
  }
}

/** Every page of a paginated data-layer list, for lists the operator reads whole. */
async function allPages<T>(
  read: (count: number, after?: string) => Promise<{ items: T[]; last?: string }>,
): Promise<T[]> {
  const all: T[] = []
  let after: string | undefined
  do {
    const page = await read(1000, after)
    all.push(...page.items)
    after = page.last
  } while (after)
  return all
}

const requireTeam = async (team: string) => {
  if (!(await teamExists(team))) throw new CliError(`no team "${team}"`)
}

export async function createTeam(team: string): Promise<string> {
  try {
    await putTeam(team, now())
  } catch (error) {
    if (error instanceof AlreadyExists) throw new CliError(`team "${team}" already exists`)
    throw error
  }
  return `Created team "${team}".`
}

export async function createUser(
  team: string,
  username: string,
  options: { role: Role; password?: string; mfaEnabled: boolean },
): Promise<string> {
  try {
    await putUser({
      team,
      username,
      role: options.role,
      passwordHash: options.password ? await hashPassword(options.password) : null,
      mfaEnabled: options.mfaEnabled,
      createdAt: now(),
    })
  } catch (error) {
    if (error instanceof NoSuchTeam) throw new CliError(`no team "${team}"`)
    if (error instanceof AlreadyExists)
      throw new CliError(`user "${username}" already exists in team "${team}"`)
    throw error
  }
  return `Created ${options.role} "${username}" in team "${team}".`
}

export async function changeUser(
  team: string,
  username: string,
  changes: UserChanges,
): Promise<string> {
  if (!(await updateUser(team, username, changes)))
    throw new CliError(`no user "${username}" in team "${team}"`)
  return `Updated user "${username}" in team "${team}".`
}

export async function teamList(): Promise<string> {
  const teams = await listTeams()
  return table(
    ['team', 'created'],
    teams.map((t) => [t.name, t.createdAt]),
  )
}

export async function userList(team: string): Promise<string> {
  await requireTeam(team)
  const users = await listUsers(team)
  return table(
    ['user', 'role', 'password', 'mfa', 'created'],
    users.map((u) => [
      u.username,
      u.role,
      u.hasPassword ? 'set' : 'none',
      u.mfaEnabled ? 'on' : 'off',
      u.createdAt,
    ]),
  )
}

export async function userDelete(team: string, username: string): Promise<string> {
  const tokens = await deleteUserRecords(team, username)
  if (tokens === undefined) throw new CliError(`no user "${username}" in team "${team}"`)
  return `Deleted user "${username}" of team "${team}" and ${tokens} personal token(s).`
}

export async function teamDelete(team: string): Promise<string> {
  // The team item first: from then on no user can be added to it.
  if (!(await deleteTeamRecord(team))) throw new CliError(`no team "${team}"`)
  const users = await listUsers(team)
  for (const user of users) await deleteUserRecords(team, user.username)
  const projects = await allPages((count, after) => listProjects(team, count, after))
  for (const project of projects) await deleteProjectWithChildren(operatorIn(team), project.name)
  await deleteSignInAttempts(team)
  return `Deleted team "${team}": ${users.length} user(s), ${projects.length} project(s).`
}

export async function projectList(team: string): Promise<string> {
  await requireTeam(team)
  const projects = await allPages((count, after) => listProjects(team, count, after))
  return table(
    ['project', 'created', 'by'],
    projects.map((p) => [p.name, p.createdAt, p.createdBy]),
  )
}

export async function projectDelete(team: string, project: string): Promise<string> {
  await orMissing(
    () => deleteProjectWithChildren(operatorIn(team), project),
    `project "${project}" in team "${team}"`,
  )
  return `Deleted project "${project}" of team "${team}" with its enrollment tokens and servers.`
}

export async function tokenList(team: string, username: string): Promise<string> {
  if (!(await getUser(team, username)))
    throw new CliError(`no user "${username}" in team "${team}"`)
  const tokens = await listAccessTokens(team, username)
  return table(
    ['id', 'name', 'created', 'last used', 'expires'],
    tokens.map((t) => [t.id, t.name, t.dateCreated, t.lastUsed, t.expiresAt]),
  )
}

/** An admin's revocation (the route's own): the event names the operator, `cli`. */
export async function tokenRevoke(team: string, username: string, id: number): Promise<string> {
  await orMissing(
    () => revokeTeamUserToken(operatorIn(team), username, id),
    `token ${id} of user "${username}" in team "${team}"`,
  )
  return `Revoked token ${id} of user "${username}" in team "${team}".`
}

/** Project children (enrollment tokens, servers) need their project: say which is missing. */
const requireProject = async (team: string, project: string) => {
  if (!(await getProject(team, project)))
    throw new CliError(`no project "${project}" in team "${team}"`)
}

export async function enrollmentTokenList(team: string, project: string): Promise<string> {
  await requireProject(team, project)
  const tokens = await allPages((count, after) => listEnrollmentTokens(team, project, count, after))
  return table(
    ['id', 'description', 'uses', 'max uses', 'expires', 'created', 'by'],
    tokens.map((t) => [
      t.id,
      t.description,
      t.uses,
      t.maxUses,
      t.expiresAt,
      t.issuedAt,
      t.createdBy,
    ]),
  )
}

export async function enrollmentTokenDelete(team: string, project: string, id: string) {
  // The data layer's delete, not the domain's: that module holds the sealing key, which
  // an operator deleting a token on AWS should not need to configure.
  const refused = await deleteEnrollmentToken(team, project, id, OPERATOR, now())
  if (refused === 'project') throw new CliError(`no project "${project}" in team "${team}"`)
  if (refused)
    throw new CliError(`no enrollment token ${id} in project "${project}" of team "${team}"`)
  return `Deleted enrollment token ${id}; servers enrolled with it stay.`
}

export async function serverList(team: string, project: string): Promise<string> {
  await requireProject(team, project)
  const servers = await allPages((count, after) => listServers(team, project, count, after))
  return table(
    ['id', 'hostname', 'os', 'registered', 'last seen'],
    servers.map((s) => [s.id, s.hostname, s.os, s.registeredAt, s.lastSeen]),
  )
}

export async function serverDelete(team: string, project: string, id: string) {
  await orMissing(
    () => removeServer(operatorIn(team), project, id),
    `server ${id} in project "${project}" of team "${team}"`,
  )
  return `Deleted server ${id}; its token is revoked.`
}

export const setPassword = async (team: string, username: string, password: string) =>
  changeUser(team, username, { passwordHash: await hashPassword(password) })

export async function createProject(team: string, project: string): Promise<string> {
  if (!(await teamExists(team))) throw new CliError(`no team "${team}"`)
  const created = await putProject({ team, name: project, createdAt: now(), createdBy: 'cli' })
  if (!created) throw new CliError(`project "${project}" already exists in team "${team}"`)
  return `Created project "${project}" in team "${team}".`
}

/** Creates a personal token; the token itself is the only thing for stdout. */
export async function createToken(
  team: string,
  username: string,
  name: string,
  expiresInDays?: number,
): Promise<string> {
  if (!(await getUser(team, username)))
    throw new CliError(`no user "${username}" in team "${team}"`)
  try {
    const { accessKey } = await createAccessToken({ team, username }, { name, expiresInDays })
    return accessKey
  } catch (error) {
    if (error instanceof DomainError) throw new CliError(error.message)
    throw error
  }
}

/** Turns the domain's refusals (400, 404) into the CLI's one-line errors. */
async function asCli<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (!(error instanceof DomainError)) throw error
    const details = (error.errors ?? []).map((e) => `${e.description} ${e.message}`)
    throw new CliError([error.message, ...details].join('; '))
  }
}

/** Registers a cloud account; its id is the one thing for stdout. */
export const addCloudAccountCli = (team: string, project: string, request: CloudAccountRequest) =>
  asCli(async () => (await addCloudAccount({ team, username: 'cli' }, project, request)).id)

export const listCloudAccountsCli = (team: string, project: string) =>
  asCli(async () => {
    const lines: string[] = []
    let offset: string | undefined
    do {
      const page = await listProjectCloudAccounts(team, project, { count: '1000', offset })
      for (const a of page.list)
        lines.push([a.id, a.account_id, a.role_arns.join(',') || '(any role)'].join('\t'))
      offset = page.next?.offset
    } while (offset)
    return lines.join('\n')
  })

export const removeCloudAccountCli = (team: string, project: string, id: string) =>
  asCli(async () => {
    await removeCloudAccount({ team, username: 'cli' }, project, id)
    return `Removed cloud account ${id} from project "${project}".`
  })

/** The team's token policy, as the API shows it (JSON, for people and `jq`). */
export const tokenPolicyShow = (team: string) =>
  asCli(async () => {
    await requireTeam(team)
    return JSON.stringify(await readTeamTokenPolicy(team))
  })

/** Replaces the team's token policy, as `PUT .../token_policy` does; prints what is in force. */
export const tokenPolicySet = (team: string, change: TokenPolicyChange) =>
  asCli(async () => {
    await requireTeam(team)
    return JSON.stringify(await setTeamTokenPolicy({ team, username: OPERATOR }, change))
  })

/** One page of a list for the terminal, and the cursor of the next when more remain. */
export interface TextPage {
  text: string
  next?: string
}

/** The admin view of the team's tokens (GET /v1/teams/{team}/tokens), a page at a time. */
export const teamTokens = (team: string, query: TeamTokensQuery) =>
  asCli(async (): Promise<TextPage> => {
    await requireTeam(team)
    const page = await listTeamTokens(team, query)
    const text = table(
      ['id', 'user', 'name', 'scopes', 'created', 'last used', 'expires'],
      page.list.map((t) => [
        t.id,
        t.user,
        t.name,
        t.scopes === null ? '(any)' : t.scopes.join(','),
        t.created,
        t.lastUsed,
        t.expires,
      ]),
    )
    return { text, next: page.next?.offset }
  })

/** The team's audit trail (GET /v1/teams/{team}/audit), newest first, a page at a time. */
export const auditList = (team: string, query: AuditQuery) =>
  asCli(async (): Promise<TextPage> => {
    await requireTeam(team)
    const page = await listAudit(team, query)
    const text = table(
      ['time', 'type', 'actor', 'detail'],
      page.list.map((event) => {
        const { team: _team, actor, ...rest } = event.detail
        return [event.time, event['detail-type'], String(actor), JSON.stringify(rest)]
      }),
    )
    return { text, next: page.next?.offset }
  })
