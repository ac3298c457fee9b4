import { DeleteTableCommand } from '@aws-sdk/client-dynamodb'
import { inject } from 'vitest'
import { startApp } from '../../local/harness.js'
import { client } from './http.js'

/**
 * A test file's own Latchkey on the run's DynamoDB Local (or the given endpoint),
 * with helpers for tests.
 */
export async function startTestApp(
  team = 'acme',
  endpoint = inject('dynamoEndpoint'),
  options: { stream?: boolean; env?: NodeJS.ProcessEnv } = {},
) {
  const app = await startApp({ endpoint, team, stream: options.stream, env: options.env })
  const users = await import('../../shared/data/users.js')
  const tokens = await import('../../shared/domain/access-tokens.js')

  /** A user (in a new team unless it exists) with one token; returns the token. */
  const addUser = async (
    userTeam: string,
    username: string,
    role: 'admin' | 'member' = 'member',
  ) => {
    const record = {
      team: userTeam,
      username,
      role,
      passwordHash: null,
      mfaEnabled: false,
      createdAt: new Date().toISOString(),
    }
    await users.putTeamWithUser(record).catch(async (error) => {
      if (!(error instanceof users.AlreadyExists)) throw error
      await users.putUser(record)
    })
    const { accessKey } = await tokens.createAccessToken(
      { team: userTeam, username },
      { name: 'first' },
    )
    return accessKey
  }

  // Dropping the table keeps the shared DynamoDB Local lean for the files after this one.
  const close = async () => {
    await app.close()
    await app.dynamo.send(new DeleteTableCommand({ TableName: app.tableName }))
  }

  return { ...app, api: client(app.url), addUser, close }
}
