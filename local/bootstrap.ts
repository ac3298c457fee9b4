import { hashPassword } from '../shared/auth/password.js'
import { AlreadyExists, putTeamWithUser } from '../shared/data/users.js'
import { createAccessToken } from '../shared/domain/access-tokens.js'
import { randomSecret } from '../shared/tokens/crypto.js'

export interface InitialAdmin {
  team: string
  username: string
  password: string
  token: string
}

export const INITIAL_TOKEN_NAME = 'initial admin token'

/**
 * First start only: a team, its admin with a random password, and a first personal
 * access token. Undefined when the team already exists (the store is initialised).
 */
export async function bootstrap(
  team: string,
  username = 'admin',
): Promise<InitialAdmin | undefined> {
  const password = randomSecret(18)
  try {
    await putTeamWithUser({
      team,
      username,
      role: 'admin',
      passwordHash: await hashPassword(password),
      mfaEnabled: false,
      createdAt: new Date().toISOString(),
    })
  } catch (error) {
    if (error instanceof AlreadyExists) return undefined
    throw error
  }
  const { accessKey } = await createAccessToken({ team, username }, { name: INITIAL_TOKEN_NAME })
  return { team, username, password, token: accessKey }
}
