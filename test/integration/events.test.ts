import { afterAll, beforeAll, expect, it } from 'vitest'
import { sha256 } from '../../shared/tokens/crypto.js'
import { parseServerToken } from '../../shared/tokens/server-token.js'
import { startTestApp } from '../support/app.js'
import { type EventLog, startEventLog } from '../support/event-log.js'
import { expectNoFragmentOf } from '../support/secrets.js'

/** End to end locally: an action, DynamoDB Local's stream, the same publisher, events.jsonl. */
let app: Awaited<ReturnType<typeof startTestApp>>
let log: EventLog
const printed: string[] = []

beforeAll(async () => {
  app = await startTestApp('acme')
  log = await startEventLog(app, { print: (message) => printed.push(message) })
})
afterAll(async () => {
  await log?.stop()
  await app?.close()
})

const lines = () => log.events()

async function waitFor(type: string, match: (detail: Record<string, unknown>) => boolean) {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    const found = (await lines()).find((e) => e['detail-type'] === type && match(e.detail))
    if (found) return found
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`no ${type} event within 10 s`)
}

it('appends one line per change to events.jsonl and prints one line each', async () => {
  const started = Date.now()
  const created = await app.api('POST', '/v1/teams/acme/projects', {
    token: app.admin.token,
    body: { name: 'evented' },
  })
  expect(created.status).toBe(201)
  const event = await waitFor('ProjectCreated', (d) => d.project === 'evented')
  expect(event).toEqual({
    id: expect.any(String),
    source: 'latchkey',
    'detail-type': 'ProjectCreated',
    time: created.body.created_at,
    detail: { team: 'acme', project: 'evented', actor: 'admin' },
  })
  expect(Date.now() - started).toBeLessThan(10_000)
  expect(printed).toContain('event ProjectCreated acme/evented by admin')

  const p = '/v1/teams/acme/projects/evented'
  const token = await app.api('POST', `${p}/server_enrollment_tokens`, {
    token: app.admin.token,
    body: { description: 'fleet' },
  })
  const enrolled = await app.api('POST', `${p}/servers`, {
    token: token.body.token,
    body: { hostname: 'h1' },
  })
  await app.api('DELETE', p, { token: app.admin.token })
  await waitFor('ProjectDeleted', (d) => d.project === 'evented')
  const types = (await lines()).map((e) => e['detail-type'])
  for (const type of [
    'EnrollmentTokenCreated',
    'ServerEnrolled',
    'ServerDeleted',
    'EnrollmentTokenDeleted',
  ])
    expect(types).toContain(type)
  const text = await log.text()
  const enrollmentSecret: string = JSON.parse(Buffer.from(token.body.token, 'base64').toString()).s
  const serverSecret = parseServerToken(enrolled.body.server_token)?.secret ?? ''
  // No piece of a token, its secret or the secret's stored hash, in the file or printed.
  const secrets = [token.body.token, enrollmentSecret, enrolled.body.server_token, serverSecret]
  for (const shown of [text, printed.join('\n')])
    expectNoFragmentOf(shown, [...secrets, ...secrets.map(sha256)])
  expect(text).not.toContain('secretHash')
})

it('publishes ProjectUpdated with what a PUT changed, and nothing for a PUT that changes nothing', async () => {
  const p = '/v1/teams/acme/projects/tuned'
  const created = await app.api('POST', '/v1/teams/acme/projects', {
    token: app.admin.token,
    body: { name: 'tuned', create_server_users: true },
  })
  const put = (body: unknown) => app.api('PUT', p, { token: app.admin.token, body })
  expect((await put({ create_server_users: true })).status).toBe(204) // no change
  expect((await put({ forward_traffic: true, create_server_users: false })).status).toBe(204)
  const event = await waitFor('ProjectUpdated', (d) => d.project === 'tuned')
  expect(event.detail).toEqual({
    team: 'acme',
    project: 'tuned',
    actor: 'admin',
    project_id: created.body.id,
    changes: {
      create_server_users: { from: true, to: false },
      forward_traffic: { from: false, to: true },
    },
  })
  expect(printed).toContain('event ProjectUpdated acme/tuned by admin')
  await app.api('DELETE', p, { token: app.admin.token })
  await waitFor('ProjectDeleted', (d) => d.project === 'tuned')
  const updates = (await lines()).filter(
    (e) => e['detail-type'] === 'ProjectUpdated' && e.detail.project === 'tuned',
  )
  expect(updates).toHaveLength(1) // not the no-change PUT, not the close before the delete
})

it('dates a personal token deletion to within moments of it, not to the minute', async () => {
  const made = await app.api('POST', '/api/tokens', {
    token: app.admin.token,
    body: { name: 'short lived' },
  })
  const id = made.body.token.id
  const before = Date.now()
  expect((await app.api('DELETE', `/api/tokens/${id}`, { token: app.admin.token })).status).toBe(
    204,
  )
  const after = Date.now()
  const event = await waitFor('AccessTokenDeleted', (d) => d.token_id === id)
  const time = Date.parse(event.time)
  // DynamoDB Local stamps stream records to the minute; the event must be closer than that.
  expect(time).toBeGreaterThanOrEqual(before - 1000)
  expect(time).toBeLessThan(after + 5000)
})
