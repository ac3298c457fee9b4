import { QueryCommand } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { seedAccessTokens } from '../../bench/seed.js'
import { startTestApp } from '../support/app.js'
import { type EventLog, startEventLog } from '../support/event-log.js'

/**
 * Delete-all end to end under the local server's stream consumer: the request only
 * revokes; the tokens and their name guards then go from the change stream, in more
 * than one step, each with its AccessTokenDeleted, while a token made afterwards and
 * another user's tokens stay.
 */
const SEEDED = 1_200 // more than one sweep step (SWEEP_STEP = 1000)

let app: Awaited<ReturnType<typeof startTestApp>>
let log: EventLog

beforeAll(async () => {
  app = await startTestApp('acme')
  log = await startEventLog(app)
})
afterAll(async () => {
  await log?.stop()
  await app?.close()
})

const events = () => log.events()

const partition = async (username: string) => {
  const { Items = [] } = await app.db.send(
    new QueryCommand({
      TableName: app.tableName,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': `TEAM#acme#USER#${username}` },
      ConsistentRead: true,
    }),
  )
  return Items
}

it('deletes the revoked tokens from the stream afterwards, one AccessTokenDeleted each', async () => {
  const bystander = await app.addUser('acme', 'stays')
  const token = await app.addUser('acme', 'sweeper')
  const made = await app.api('POST', '/api/tokens', { token, body: { name: 'ci' } })
  expect(made.status).toBe(200)
  await seedAccessTokens(app.db, app.tableName, { team: 'acme', username: 'sweeper' }, SEEDED)

  expect((await app.api('DELETE', '/api/tokens/delete-all', { token })).status).toBe(204)
  expect((await app.api('GET', '/api/tokens', { token: made.body.accessKey })).status).toBe(401)
  // A token made right after works, lists alone, and may reuse a revoked name.
  const { createAccessToken } = await import('../../shared/domain/access-tokens.js')
  const after = await createAccessToken({ team: 'acme', username: 'sweeper' }, { name: 'ci' })
  const listed = await app.api('GET', '/api/tokens', { token: after.accessKey })
  expect(listed.status).toBe(200)
  expect(listed.body.tokens.map((t: { id: number }) => t.id)).toEqual([after.token.id])

  const revoked = [1, 2, ...Array.from({ length: SEEDED }, (_, i) => 1000 + i)]
  const deadline = Date.now() + 90_000
  let deleted: number[] = []
  while (Date.now() < deadline) {
    deleted = (await events())
      .filter((e) => e['detail-type'] === 'AccessTokenDeleted' && e.detail.user === 'sweeper')
      .map((e) => e.detail.token_id)
    if (deleted.length >= revoked.length) break
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  expect(deleted.sort((a, b) => a - b)).toEqual(revoked) // each once, none missed
  const deletion = (await events()).find((e) => e['detail-type'] === 'AccessTokenDeleted')
  expect(deletion.detail).toMatchObject({ team: 'acme', actor: 'sweeper', user: 'sweeper' })

  // Left: the mark, the new token and its guard (taken over from the revoked "ci").
  const left = (await partition('sweeper')).map((item) => [item.SK, item.tokenId ?? item.id])
  expect(left).toEqual([
    ['PAT#', undefined],
    [`PAT#${String(after.token.id).padStart(16, '0')}`, after.token.id],
    ['PATNAME#ci', after.token.id],
  ])
  expect((await app.api('GET', '/api/tokens', { token: after.accessKey })).status).toBe(200)
  expect((await app.api('GET', '/api/tokens', { token: bystander })).status).toBe(200)
  expect(await partition('stays')).toHaveLength(2) // its token and guard, untouched
}, 150_000)
