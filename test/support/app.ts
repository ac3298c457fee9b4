import { randomUUID } from 'node:crypto'
import { inject } from 'vitest'
import { client } from './http.js'

/**
 * A test file's own Latchkey: a fresh table on the run's DynamoDB Local, a bootstrapped
 * team, and the real local server on a free port. Modules read their configuration
 * at load, so they are imported only after the environment names this file's table.
 */
export async function startTestApp(team = 'acme') {
  process.env.DYNAMODB_ENDPOINT = inject('dynamoEndpoint')
  process.env.TABLE_NAME = `latchkey-${randomUUID()}`
  const { dynamo, db, tableName } = await import('../../shared/data/client.js')
  const { ensureTable } = await import('../../local/ensure-table.js')
  const { bootstrap } = await import('../../local/bootstrap.js')
  const { startServer } = await import('../../local/server.js')
  const users = await import('../../shared/data/users.js')
  const tokens = await import('../../shared/domain/access-tokens.js')

  await ensureTable(dynamo, tableName)
  const admin = await bootstrap(team)
  if (!admin) throw new Error('bootstrap did not run on a fresh table')
  const server = await startServer({ port: 0, host: '127.0.0.1' })

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

  return {
    url: server.url,
    api: client(server.url),
    admin,
    db,
    dynamo,
    tableName,
    addUser,
    close: () => server.close(),
  }
}
