import { readFile } from 'node:fs/promises'
import { hashPassword } from '../shared/auth/password.js'
import { putProject } from '../shared/data/projects.js'
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
import { DomainError } from '../shared/errors.js'
import { SERVICE_TOKEN_SECONDS } from '../shared/keys/jwt-keys.js'
import { type JwtKeyFile, writeJwtKeyFile } from '../shared/keys/local-jwt-keys.js'

/** A failure the operator can act on: printed as one line, exit code 1. */
export class CliError extends Error {
  override name = 'CliError'
}

const now = () => new Date().toISOString()

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
      passwordHash: options.password ? await hashPassword(options.password) : undefined,
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

/**
 * Rotates the local signing key. Retired keys stay published while tokens they
 * signed can still be alive (one token lifetime), then go.
 */
export async function rotateKeys(path: string, at = Date.now()): Promise<string> {
  let file: JwtKeyFile
  try {
    file = JSON.parse(await readFile(path, 'utf8'))
  } catch {
    throw new CliError(`no key file at ${path}: run npm start once to create it`)
  }
  const alive = file.previous.filter(
    (key) => key.retiredAt === undefined || at - key.retiredAt < SERVICE_TOKEN_SECONDS * 1000,
  )
  const rotated = await writeJwtKeyFile(path, { ...file, previous: alive }, at)
  return `Rotated: signing with key ${rotated.current.kid}; ${rotated.previous.length} retired key(s) still verify.`
}
