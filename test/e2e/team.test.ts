import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type EventLog, startEventLog } from '../support/event-log.js'
import {
  expectAccessible,
  openBrowser,
  screenshot,
  scriptReadableState,
  signIn,
  startConsoleApp,
  watchPage,
} from './support.js'

/**
 * Issue 15's remainder in the browser: rotating personal and enrollment tokens, and
 * the Team page (token policy, users and roles, every token, the audit trail) as an
 * admin and as a member, who sees the policy only and whose direct API calls for the
 * rest are refused.
 */
let app: Awaited<ReturnType<typeof startConsoleApp>>
let browser: Awaited<ReturnType<typeof openBrowser>>
let log: EventLog
let page: Page
let problems: string[]
type Person = Awaited<ReturnType<Awaited<ReturnType<typeof startConsoleApp>>['addPerson']>>
let member: Person
let locked: Person
const axeReport = new Map<string, unknown>()
let enrollmentId = ''
const bearers = new Set<string>()

beforeAll(async () => {
  ;[app, browser] = await Promise.all([startConsoleApp(), openBrowser()])
  // The audit trail is kept by the stream consumer, as `npm start` runs it.
  log = await startEventLog(app, { audit: true })
  member = await app.addPerson('max', 'member')
  await app.addPerson('mia', 'member', { mfa: true })
  locked = await app.addPerson('lou', 'member')
  // Five wrong passwords: lou is locked out of the password grant for 15 minutes.
  for (let i = 0; i < 5; i++) {
    const wrong = await app.api('POST', '/tokens', {
      body: { accountName: 'acme', username: 'lou', password: 'wrong', tokenName: `t${i}` },
    })
    expect(wrong.status).toBe(401)
  }
  page = await browser.context.newPage()
  problems = watchPage(page)
  page.on('request', (request) => {
    const header = request.headers().authorization
    if (header) bearers.add(header.replace(/^Bearer /, ''))
  })
})
afterAll(async () => {
  await log?.stop()
  await browser?.close()
  await app?.close()
  console.log('axe (team):', JSON.stringify(Object.fromEntries(axeReport)))
})

const admin = () => ({ team: 'acme', username: 'admin', password: app.admin.password })
const nav = (name: string) =>
  page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name })
const heading = (name: string) => page.getByRole('heading', { name, level: 1 }).waitFor()
const section = (name: string) => page.getByRole('region', { name })
async function answerDialog(button: string, fill?: { label: string; value: string }) {
  const dialog = page.getByRole('dialog')
  await dialog.waitFor()
  const text = await dialog.innerText()
  if (fill) await dialog.getByLabel(fill.label).fill(fill.value)
  await dialog.getByRole('button', { name: button }).click()
  await dialog.waitFor({ state: 'detached' })
  return text
}
const works = async (token: string) => (await app.api('GET', '/api/tokens', { token })).status

describe('an admin rotates', () => {
  it('a personal token: the new secret once, the old one through its grace period', async () => {
    await signIn(page, app.url, admin())
    await page.getByLabel('Name').fill('deploy bot')
    await page.getByRole('button', { name: 'Create token' }).click()
    const panel = page.getByRole('region', { name: 'New token' })
    const first = await panel.getByLabel('Token').inputValue()
    await page.getByRole('button', { name: 'Done, I copied it' }).click()

    // With a grace period: both secrets work, the new one shown once with a copy button.
    await page.getByRole('button', { name: 'Rotate token deploy bot' }).click()
    const asked = await answerDialog('Rotate token', {
      label: 'Old secret keeps working for (seconds)',
      value: '600',
    })
    expect(asked).toContain('Rotate token "deploy bot"?')
    await panel.getByRole('heading', { name: 'Token "deploy bot" rotated' }).waitFor()
    await panel.getByText('Copy it now: you will not see this again.').waitFor()
    await panel.getByText('The old secret keeps working for 600 seconds.').waitFor()
    await panel.getByRole('button', { name: 'Copy token' }).waitFor()
    const second = await panel.getByLabel('Token').inputValue()
    expect(second).toMatch(/^lk_/)
    expect(second).not.toBe(first)
    expect(await works(second)).toBe(200)
    expect(await works(first)).toBe(200)
    await expectAccessible(page, 'my tokens, rotated', axeReport)

    // A grace out of range: the API's words, in the row.
    await page.getByRole('button', { name: 'Rotate token deploy bot' }).click()
    await answerDialog('Rotate token', {
      label: 'Old secret keeps working for (seconds)',
      value: '2592001',
    })
    const row = page.getByRole('row', { name: /deploy bot/ })
    await row
      .getByRole('alert')
      .getByText(/expireOldInSeconds must be <= 2592000/)
      .waitFor()
    expect(await works(second)).toBe(200)

    // Without one: the old secret (and the earlier grace) ends at once.
    await page.getByRole('button', { name: 'Rotate token deploy bot' }).click()
    await answerDialog('Rotate token')
    await panel.getByText('The old secret no longer works.').waitFor()
    const third = await panel.getByLabel('Token').inputValue()
    expect(await works(third)).toBe(200)
    expect(await works(second)).toBe(401)
    expect(await works(first)).toBe(401)

    // Cancel rotates nothing.
    await page.getByRole('button', { name: 'Done, I copied it' }).click()
    await page.getByRole('button', { name: 'Rotate token deploy bot' }).click()
    await answerDialog('Cancel')
    expect(await works(third)).toBe(200)
    expect(await page.getByRole('region', { name: 'New token' }).count()).toBe(0)

    // Never again after a reload, nor anywhere script can read.
    await page.reload()
    await signIn(page, app.url, admin())
    await page.getByRole('row', { name: /deploy bot/ }).waitFor()
    expect(await page.content()).not.toContain(third)
    const state = await scriptReadableState(page)
    for (const value of [first, second, third, ...bearers]) expect(state).not.toContain(value)
  })

  it('an enrollment token: a new value; the old one no longer enrolls', async () => {
    const jwt = [...bearers].at(-1) ?? ''
    await app.api('POST', '/v1/teams/acme/projects', { token: jwt, body: { name: 'web' } })
    const made = await app.api('POST', '/v1/teams/acme/projects/web/server_enrollment_tokens', {
      token: jwt,
      body: { description: 'web fleet' },
    })
    expect(made.status).toBe(201)
    enrollmentId = made.body.id
    await page.goto(`${app.url}/#/projects/web`)
    await heading('Project web')
    // Any list read the console makes is held until the value has been read, as a slow
    // network would: the notice must not come before the row holds the new value (it
    // once did, and Reveal showed the old one).
    let release = () => {}
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const lists = /\/server_enrollment_tokens(\?|$)/
    await page.route(lists, async (route) => {
      await held
      await route.continue()
    })
    const answered = page.waitForResponse((r) => r.url().endsWith('/rotate'))
    await page.getByRole('button', { name: 'Rotate enrollment token web fleet' }).click()
    expect(await answerDialog('Rotate enrollment token')).toContain('servers already enrolled stay')
    const rotated = (await (await answered).json()) as { token: string }
    await page.getByText('"web fleet" has a new value; the old one no longer enrolls.').waitFor()
    const row = page.getByRole('row', { name: /web fleet/ })
    await row.getByRole('button', { name: 'Reveal web fleet' }).click()
    const value = await row.getByLabel('Token for web fleet').inputValue()
    release()
    await page.unroute(lists)
    expect(value).toBe(rotated.token)
    expect(value).not.toBe(made.body.token)
    const enroll = (token: string, hostname: string) =>
      app.api('POST', '/v1/teams/acme/projects/web/servers', { token, body: { hostname } })
    expect((await enroll(made.body.token, 'old-01')).status).toBe(401)
    expect((await enroll(value, 'web-01')).status).toBe(201)
    await expectAccessible(page, 'project, enrollment token rotated', axeReport)
  })
})

describe('the Team page, as an admin', () => {
  it('shows the token policy and saves changes; refusals land under their field', async () => {
    await nav('Team').click()
    await heading('Team acme')
    const policy = section('Token policy')
    await policy.getByText('at most 1000').waitFor()
    const form = policy.getByRole('form', { name: 'Token policy' })
    expect(await form.getByLabel('Tokens per user').inputValue()).toBe('1000')
    await form.getByLabel('Maximum lifetime (days)').fill('90')
    await form.getByLabel('Allowed scopes').fill('tokens:read projects:read')
    await form.getByLabel('Revoke tokens unused for (days)').fill('30')
    await form.getByRole('button', { name: 'Save policy' }).click()
    await policy.getByText('Policy saved.').waitFor()
    await policy.getByText('90 days', { exact: true }).waitFor()
    const jwt = [...bearers].at(-1) ?? ''
    const stored = await app.api('GET', '/v1/teams/acme/token_policy', { token: jwt })
    expect(stored.body).toEqual({
      maxLifetimeDays: 90,
      maxTokensPerUser: 1000,
      allowedScopes: ['tokens:read', 'projects:read'],
      inactiveDays: 30,
    })
    // The API's refusal, under the field it names; nothing changes.
    await form.getByLabel('Tokens per user').fill('5000')
    await form.getByRole('button', { name: 'Save policy' }).click()
    await form.getByText(/^Tokens per user must be <= 1000/).waitFor()
    expect(await form.getByLabel('Tokens per user').getAttribute('aria-invalid')).toBe('true')
    expect((await app.api('GET', '/v1/teams/acme/token_policy', { token: jwt })).body).toEqual(
      stored.body,
    )
    // Back to the defaults: empty fields are "no limit".
    for (const label of ['Maximum lifetime (days)', 'Allowed scopes', 'Tokens per user'])
      await form.getByLabel(label).fill('')
    await form.getByLabel('Revoke tokens unused for (days)').fill('')
    await form.getByRole('button', { name: 'Save policy' }).click()
    await policy.getByText('no limit', { exact: true }).waitFor()
    expect((await app.api('GET', '/v1/teams/acme/token_policy', { token: jwt })).body).toEqual({
      maxLifetimeDays: null,
      maxTokensPerUser: 1000,
      allowedScopes: null,
      inactiveDays: null,
    })
  })

  it('lists the users with role, MFA and lockout, and every token of the team', async () => {
    const users = section('Users and roles')
    const row = (name: string) => users.getByRole('row', { name: new RegExp(`^${name} `) })
    await row('admin').waitFor()
    expect(await users.locator('tbody tr').count()).toBe(4)
    expect(await row('admin').innerText()).toMatch(/admin\s+admin\s+.*\s+set\s+off\s+allowed/)
    expect(await row('max').innerText()).toMatch(/member/)
    expect(await row('mia').innerText()).toMatch(/\son\s/)
    expect(await row('lou').innerText()).toContain('locked until')
    const tokens = section('All tokens')
    await tokens.getByRole('row', { name: /deploy bot/ }).waitFor()
    expect(await tokens.getByRole('row', { name: /laptop/ }).count()).toBe(3)
    await expectAccessible(page, 'team (admin)', axeReport)
  })

  it('reads the audit trail newest first, filters it and pages through it', async () => {
    const audit = section('Audit trail')
    const rows = audit.locator('tbody tr')
    // The stream consumer keeps events as they happen: the newest is the policy's reset.
    await expect
      .poll(async () => {
        await audit.getByRole('button', { name: 'Filter' }).click()
        return (
          await rows
            .first()
            .innerText()
            .catch(() => '')
        ).includes('TokenPolicyChanged')
      })
      .toBe(true)
    expect(await rows.count()).toBe(10)
    const times = await rows
      .locator('time')
      .evaluateAll((all) => all.map((time) => time.getAttribute('datetime') ?? ''))
    expect([...times].sort().reverse()).toEqual(times)
    await audit.getByRole('button', { name: 'Next page' }).click()
    await expect
      .poll(() => audit.getByRole('button', { name: 'Previous page' }).isEnabled())
      .toBe(true)
    await audit.getByRole('button', { name: 'Previous page' }).click()
    await expect
      .poll(() => audit.getByRole('button', { name: 'Previous page' }).isEnabled())
      .toBe(false)

    const filter = audit.getByRole('form', { name: 'Filter the audit trail' })
    await filter.getByLabel('Event type').fill('AccessTokenRotated')
    await filter.getByRole('button', { name: 'Filter' }).click()
    // Two rotations of the personal token, one of the enrollment token.
    await expect.poll(() => rows.count()).toBe(3)
    for (const text of await rows.allInnerTexts()) {
      expect(text).toContain('AccessTokenRotated')
      expect(text).toContain('admin')
    }
    // A bad time: the API's words under the field.
    await filter.getByLabel('Since (UTC)').fill('yesterday')
    await filter.getByRole('button', { name: 'Filter' }).click()
    await filter.getByText(/^Since \(UTC\) (must|is)/).waitFor()
    await filter.getByLabel('Since (UTC)').fill('2000-01-01T00:00:00Z')
    await filter.getByLabel('Event type').fill('ProjectCreated')
    await filter.getByRole('button', { name: 'Filter' }).click()
    await expect.poll(() => rows.count()).toBe(1)
    await filter.getByLabel('Event type').fill('')
    await filter.getByLabel('Since (UTC)').fill('')
    await filter.getByRole('button', { name: 'Filter' }).click()
    await expect.poll(() => rows.count()).toBe(10)
    await expectAccessible(page, 'team with audit (admin)', axeReport)
    // Times and ids change with every run: the pictures mask the times and show only
    // the policy's changes, so they change only with the console.
    await filter.getByLabel('Event type').fill('TokenPolicyChanged')
    await filter.getByRole('button', { name: 'Filter' }).click()
    await expect.poll(() => rows.count()).toBe(2)
    await audit.scrollIntoViewIfNeeded()
    await screenshot(page, 'audit', { mask: ['time'] })
    await page.getByRole('heading', { name: 'Team acme', level: 1 }).scrollIntoViewIfNeeded()
    await screenshot(page, 'team', { mask: ['time'] })
    // Nothing secret in the trail the page shows.
    expect(await audit.innerText()).not.toMatch(/lk_|scrypt/)
    expect(problems).toEqual([])
  })
})

describe('the Team page, as a member', () => {
  it('shows the token policy read-only, and no admin section', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click()
    await signIn(page, app.url, member)
    await nav('Team').click()
    await heading('Team acme')
    const policy = section('Token policy')
    await policy.getByText('at most 1000').waitFor()
    await policy.getByText('Only admins change them.').waitFor()
    expect(await page.getByRole('form').count()).toBe(0)
    for (const name of ['Users and roles', 'All tokens', 'Audit trail'])
      expect(await section(name).count()).toBe(0)
    await expectAccessible(page, 'team (member)', axeReport)
  })

  it('rotates their own token', async () => {
    await nav('My tokens').click()
    await page.getByRole('button', { name: 'Rotate token laptop' }).click()
    await answerDialog('Rotate token')
    const panel = page.getByRole('region', { name: 'New token' })
    const secret = await panel.getByLabel('Token').inputValue()
    expect(await works(secret)).toBe(200)
    expect(await works(member.token)).toBe(401)
  })

  it("is refused the admin routes by the API itself, called from the console's own page", async () => {
    const jwt = [...bearers].at(-1) ?? ''
    const attempts = [
      ['GET', '/v1/teams/acme/users', null],
      ['GET', '/v1/teams/acme/tokens', null],
      ['GET', '/v1/teams/acme/audit', null],
      ['PUT', '/v1/teams/acme/token_policy', { maxTokensPerUser: 1 }],
      ['POST', `/v1/teams/acme/projects/web/server_enrollment_tokens/${enrollmentId}/rotate`, null],
    ] as const
    const statuses = (await page.evaluate(
      `Promise.all(${JSON.stringify(attempts)}.map(([method, path, body]) =>
        fetch(path, {
          method,
          headers: { authorization: 'Bearer ${jwt}', 'content-type': 'application/json' },
          body: body === null ? undefined : JSON.stringify(body),
        }).then((r) => r.json().then((b) => r.status + ' ' + b.code))))`,
    )) as string[]
    expect(statuses).toEqual(Array(attempts.length).fill('403 forbidden_error'))
    // Members may read the policy, which is unchanged.
    const read = await app.api('GET', '/v1/teams/acme/token_policy', { token: jwt })
    expect(read.status).toBe(200)
    expect(read.body.maxTokensPerUser).toBe(1000)
    expect(locked.username).toBe('lou')
    expect(problems).toEqual([])
  })
})
