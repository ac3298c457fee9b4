import { QueryCommand } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { seedServers } from '../../bench/seed.js'
import { startTestApp } from '../support/app.js'
import { type EventLog, startEventLog } from '../support/event-log.js'

/**
 * Project delete end to end under the local server's stream consumer: the request
 * only marks the project, which revokes its servers and enrollment tokens at once;
 * the children then go from the change stream in more than one step, each with its
 * own event, ProjectDeleted last, while another project's servers stay.
 */
const SEEDED = 1_200 // more than one step (PROJECT_DELETE_STEP = 1000)
const base = '/v1/teams/acme/projects'

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

const children = async (project: string) => {
  const { Items = [] } = await app.db.send(
    new QueryCommand({
      TableName: app.tableName,
      KeyConditionExpression: 'PK = :pk AND SK < :before',
      ExpressionAttributeValues: { ':pk': `TEAM#acme#PROJECT#${project}`, ':before': 'TOMBSTONE#' },
      ConsistentRead: true,
    }),
  )
  return Items
}

it('revokes at once, then deletes every child from the stream, one event each, ProjectDeleted last', async () => {
  const admin = app.admin.token
  for (const name of ['fleet', 'stays'])
    expect((await app.api('POST', base, { token: admin, body: { name } })).status).toBe(201)
  const made = await app.api('POST', `${base}/fleet/server_enrollment_tokens`, {
    token: admin,
    body: { description: 'agents' },
  })
  const agents = []
  for (const hostname of ['a', 'b']) {
    const enrolled = await app.api('POST', `${base}/fleet/servers`, {
      token: made.body.token,
      body: { hostname },
    })
    expect(enrolled.status).toBe(201)
    agents.push(enrolled.body)
  }
  const seeded = await seedServers(
    app.db,
    app.tableName,
    { team: 'acme', project: 'fleet' },
    SEEDED,
  )
  await seedServers(app.db, app.tableName, { team: 'acme', project: 'stays' }, 3)

  const started = Date.now()
  expect((await app.api('DELETE', `${base}/fleet`, { token: admin })).status).toBe(204)
  expect(Date.now() - started).toBeLessThan(5_000) // one write, whatever it holds
  // At once, before the stream has deleted anything.
  for (const agent of agents) {
    const beat = await app.api('POST', `${base}/fleet/servers/${agent.server.id}/heartbeat`, {
      token: agent.server_token,
    })
    expect(beat.body.code).toBe('server_authorization_revoked')
  }
  const enroll = await app.api('POST', `${base}/fleet/servers`, {
    token: made.body.token,
    body: { hostname: 'late' },
  })
  expect(enroll.status).toBe(401)
  expect((await app.api('GET', `${base}/fleet/servers`, { token: admin })).status).toBe(404)

  const servers = [...agents.map((agent) => agent.server.id), ...seeded].sort()
  const deadline = Date.now() + 120_000
  let deleted: string[] = []
  let projectDeleted: { detail: unknown }[] = []
  while (Date.now() < deadline) {
    const all = await events()
    deleted = all
      .filter((e) => e['detail-type'] === 'ServerDeleted' && e.detail.project === 'fleet')
      .map((e) => e.detail.server_id)
    projectDeleted = all.filter(
      (e) => e['detail-type'] === 'ProjectDeleted' && e.detail.project === 'fleet',
    )
    if (projectDeleted.length > 0) break
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  expect(deleted.sort()).toEqual(servers) // each once, none missed
  expect(projectDeleted).toHaveLength(1)
  expect(projectDeleted[0]?.detail).toMatchObject({
    team: 'acme',
    project: 'fleet',
    actor: 'admin',
  })
  const all = await events()
  const tokenDeleted = all.filter(
    (e) => e['detail-type'] === 'EnrollmentTokenDeleted' && e.detail.project === 'fleet',
  )
  expect(tokenDeleted.map((e) => e.detail.enrollment_token_id)).toEqual([made.body.id])
  const last = all.findLastIndex((e) => e.detail.project === 'fleet')
  expect(all[last]?.['detail-type']).toBe('ProjectDeleted')

  expect(await children('fleet')).toEqual([])
  expect(await children('stays')).toHaveLength(3)
  // The name is free again: a new project, which never sees the old servers.
  expect((await app.api('POST', base, { token: admin, body: { name: 'fleet' } })).status).toBe(201)
  const listed = await app.api('GET', `${base}/fleet/servers`, { token: admin })
  expect(listed.body.list).toEqual([])
  const beat = await app.api('POST', `${base}/fleet/servers/${agents[0]?.server.id}/heartbeat`, {
    token: agents[0]?.server_token,
  })
  expect(beat.body.code).toBe('server_authorization_revoked')
}, 180_000)
