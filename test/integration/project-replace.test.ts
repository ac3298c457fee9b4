import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { markDeletingWithoutAuthor, seedServers } from '../../bench/seed.js'
import { enrollAgent, expectOldAgentsShutOut } from '../support/agents.js'
import { startTestApp } from '../support/app.js'
import { type EventLog, startEventLog } from '../support/event-log.js'

/**
 * A project deleted and created again under its name at once (a Terraform replace),
 * over HTTP on DynamoDB Local. No stream consumer runs until the last tests, so each
 * create certainly meets its name's deletion under way: it finishes that deletion
 * itself (the cascade's steps and last write) and then creates: 201 whatever the old
 * project held. The new project starts empty, and nothing of the old one works in it.
 * The events, once the stream has run: each child's deletion once, ProjectDeleted once
 * per deletion (before the new project's ProjectCreated), ProjectCreated per create.
 */
const base = '/v1/teams/acme/projects'

let app: Awaited<ReturnType<typeof startTestApp>>
let log: EventLog | undefined
let admin: string

beforeAll(async () => {
  app = await startTestApp('acme')
  admin = app.admin.token
})
afterAll(async () => {
  await log?.stop()
  await app?.close()
})

type Published = { 'detail-type': string; detail: Record<string, unknown> }
const events = async (): Promise<Published[]> => (await log?.events()) ?? []

/** A project with an enrollment token, two servers enrolled by it and a cloud account. */
async function populated(name: string) {
  expect(
    (await app.api('POST', base, { token: admin, body: { name, forward_traffic: true } })).status,
  ).toBe(201)
  const token = await app.api('POST', `${base}/${name}/server_enrollment_tokens`, {
    token: admin,
    body: { description: 'agents' },
  })
  expect(token.status).toBe(201)
  const agents = []
  for (const hostname of ['a', 'b'])
    agents.push(await enrollAgent(app.api, `${base}/${name}`, token.body.token, hostname))
  const account = await app.api('POST', `${base}/${name}/cloud_accounts`, {
    token: admin,
    body: { provider: 'aws', account_id: '444455556666' },
  })
  expect(account.status).toBe(201)
  return { token: token.body, agents, account: account.body }
}

/** The new project holds nothing of the old one, and nothing of the old one works in it. */
async function expectFresh(name: string, old: Awaited<ReturnType<typeof populated>>) {
  const project = await app.api('GET', `${base}/${name}`, { token: admin })
  expect(project.status).toBe(200)
  expect(project.body.forward_traffic).toBe(false) // the default: no setting inherited
  for (const list of ['server_enrollment_tokens', 'servers', 'cloud_accounts']) {
    const listed = await app.api('GET', `${base}/${name}/${list}`, { token: admin })
    expect(listed.status).toBe(200)
    expect(listed.body.list).toEqual([])
  }
  const oldToken = `${base}/${name}/server_enrollment_tokens/${old.token.id}`
  expect((await app.api('GET', oldToken, { token: admin })).status).toBe(404)
  for (const agent of old.agents) {
    const oldServer = `${base}/${name}/servers/${agent.server.id}`
    expect((await app.api('GET', oldServer, { token: admin })).status).toBe(404)
  }
  await expectOldAgentsShutOut(app.api, `${base}/${name}`, {
    enrollmentToken: old.token.token,
    agents: old.agents,
  })
  // The new project works: its own token enrolls, its server's token beats.
  const fresh = await app.api('POST', `${base}/${name}/server_enrollment_tokens`, {
    token: admin,
    body: { description: 'new agents' },
  })
  const enrolled = await app.api('POST', `${base}/${name}/servers`, {
    token: fresh.body.token,
    body: { hostname: 'new' },
  })
  expect(enrolled.status).toBe(201)
  const beat = await app.api(
    'POST',
    `${base}/${name}/servers/${enrolled.body.server.id}/heartbeat`,
    { token: enrolled.body.server_token },
  )
  expect(beat.status).toBe(204)
  return { token: fresh.body.id as string, server: enrolled.body.server.id as string }
}

const created: Record<string, { old: Awaited<ReturnType<typeof populated>> | undefined }> = {}
const kept: Record<string, { token: string; server: string }> = {}

describe('created again at once, the deletion still under way', () => {
  it('with no children: 201, the deletion finished by the create', async () => {
    expect((await app.api('POST', base, { token: admin, body: { name: 'bare' } })).status).toBe(201)
    expect((await app.api('DELETE', `${base}/bare`, { token: admin })).status).toBe(204)
    const again = await app.api('POST', base, { token: admin, body: { name: 'bare' } })
    expect(again.status).toBe(201)
    expect(again.body).toMatchObject({ name: 'bare', deleted_at: null })
    expect((await app.api('GET', `${base}/bare`, { token: admin })).body.id).toBe(again.body.id)
    const listed = await app.api('GET', `${base}?contains=bare`, { token: admin })
    expect(listed.body.list.map((p: { id: string }) => p.id)).toEqual([again.body.id])
    // A second create of the live name is the plain 409.
    const twice = await app.api('POST', base, { token: admin, body: { name: 'bare' } })
    expect(twice.status).toBe(409)
    expect(twice.body.message).toBe('A project named "bare" exists.')
    created.bare = { old: undefined }
  })

  it('with a few children (a token, two servers, a cloud account): 201, a new project that starts empty', async () => {
    const old = await populated('few')
    const before = await app.api('GET', `${base}/few`, { token: admin })
    expect((await app.api('DELETE', `${base}/few`, { token: admin })).status).toBe(204)
    const again = await app.api('POST', base, { token: admin, body: { name: 'few' } })
    expect(again.status).toBe(201)
    expect(again.body.id).not.toBe(before.body.id)
    created.few = { old }
    kept.few = await expectFresh('few', old)
  })

  it('over a mark an older DELETE left (no cascade running for it): 201, its 60 children deleted by the create', async () => {
    expect((await app.api('POST', base, { token: admin, body: { name: 'stalled' } })).status).toBe(
      201,
    )
    await seedServers(app.db, app.tableName, { team: 'acme', project: 'stalled' }, 60)
    await markDeletingWithoutAuthor(app.db, app.tableName, { team: 'acme', project: 'stalled' })
    const again = await app.api('POST', base, { token: admin, body: { name: 'stalled' } })
    expect(again.status).toBe(201)
    const servers = await app.api('GET', `${base}/stalled/servers`, { token: admin })
    expect(servers.body.list).toEqual([])
  })

  it('with 904 children (far more than one transaction takes, one step): 201 at once', async () => {
    const old = await populated('fleet')
    // One step's worth (at most 1,000), which runs whatever the time: more steps start
    // only within the create's budget, which a loaded DynamoDB Local may spend on one
    // (the unit tests run 1,200 and the budget on a fake clock).
    await seedServers(app.db, app.tableName, { team: 'acme', project: 'fleet' }, 900)
    expect((await app.api('DELETE', `${base}/fleet`, { token: admin })).status).toBe(204)
    // Gone to readers at once.
    expect((await app.api('GET', `${base}/fleet`, { token: admin })).status).toBe(404)
    const again = await app.api('POST', base, { token: admin, body: { name: 'fleet' } })
    expect(again.status).toBe(201)
    created.fleet = { old }
    kept.fleet = await expectFresh('fleet', old)
    // The stream runs now (from the start of the table's stream: every write above); the
    // old deletions' records it finds again touch nothing of the new projects.
    log = await startEventLog(app)
  }, 120_000)

  it('publishes each deletion once and each creation, once the stream has run', async () => {
    const deadline = Date.now() + 60_000
    const ofType = async (type: string, project: string) =>
      (await events()).filter((e) => e['detail-type'] === type && e.detail.project === project)
    // The new projects' servers enrolled last, and the stalled project made again last:
    // their events arriving means the rest has (or the deadline passes, and the checks say what is missing).
    while (Date.now() < deadline) {
      const enrolled = [
        ...(await ofType('ServerEnrolled', 'few')),
        ...(await ofType('ServerEnrolled', 'fleet')),
      ].map((e) => e.detail.server_id)
      const stalledDone = (await ofType('ServerDeleted', 'stalled')).length === 60
      if (
        kept.few &&
        kept.fleet &&
        [kept.few.server, kept.fleet.server].every((id) => enrolled.includes(id)) &&
        stalledDone &&
        (await ofType('ProjectCreated', 'stalled')).length === 2
      )
        break
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    const stalled = await ofType('ServerDeleted', 'stalled')
    expect(stalled).toHaveLength(60)
    expect(new Set(stalled.map((e) => e.detail.actor))).toEqual(new Set(['latchkey']))
    expect((await ofType('ProjectDeleted', 'stalled')).map((e) => e.detail.actor)).toEqual([
      'latchkey',
    ])
    for (const [name, { old }] of Object.entries(created)) {
      expect((await ofType('ProjectCreated', name)).map((e) => e.detail.actor)).toEqual([
        'admin',
        'admin',
      ])
      const deleted = await ofType('ProjectDeleted', name)
      expect(deleted.map((e) => e.detail)).toEqual([
        { team: 'acme', project: name, actor: 'admin' },
      ])
      // For consumers: the old project's deletion comes before the new one's creation.
      const all = (await events()).filter((e) => e.detail.project === name)
      const at = (type: string) => all.findLastIndex((e) => e['detail-type'] === type)
      expect(at('ProjectDeleted')).toBeGreaterThan(-1)
      expect(at('ProjectDeleted')).toBeLessThan(at('ProjectCreated'))
      if (!old) continue
      const servers = (await ofType('ServerDeleted', name)).map((e) => e.detail.server_id)
      const seeded = name === 'fleet' ? 900 : 0
      expect(servers).toHaveLength(old.agents.length + seeded)
      expect(new Set(servers).size).toBe(servers.length)
      expect(servers).toEqual(expect.arrayContaining(old.agents.map((a) => a.server.id)))
      expect(servers).not.toContain(kept[name]?.server)
      const tokens = (await ofType('EnrollmentTokenDeleted', name)).map(
        (e) => e.detail.enrollment_token_id,
      )
      expect(tokens).toEqual([old.token.id])
      const accounts = (await ofType('CloudAccountRemoved', name)).map(
        (e) => e.detail.cloud_account_id,
      )
      expect(accounts).toEqual([old.account.id])
    }
  }, 90_000)
})
