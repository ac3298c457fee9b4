import type { Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
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
 * Everything an admin does in the console, in order, as one person would. The
 * clock is fixed (server and browser) so the README's screenshots only change when
 * the console does.
 */
const T = new Date('2026-11-02T09:30:00Z')

let app: Awaited<ReturnType<typeof startConsoleApp>>
let browser: Awaited<ReturnType<typeof openBrowser>>
let page: Page
let problems: string[]
const axeReport = new Map<string, unknown>()
const bearers = new Set<string>()
/** The page's API calls, for failure messages. */
const calls: string[] = []

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(T)
  ;[app, browser] = await Promise.all([startConsoleApp(), openBrowser()])
  await browser.context.clock.setFixedTime(T)
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
    origin: app.url,
  })
  page = await browser.context.newPage()
  problems = watchPage(page)
  page.on('response', (response) =>
    calls.push(
      `${response.request().method()} ${new URL(response.url()).pathname} ${response.status()}`,
    ),
  )
  page.on('request', (request) => {
    const header = request.headers().authorization
    if (header) bearers.add(header.replace(/^Bearer /, ''))
  })
})
afterAll(async () => {
  vi.useRealTimers()
  await browser?.close()
  await app?.close()
  console.log('axe (admin):', JSON.stringify(Object.fromEntries(axeReport)))
})

const admin = () => ({ team: 'acme', username: 'admin', password: app.admin.password })
const nav = (name: string) =>
  page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name })
const heading = (name: string) => page.getByRole('heading', { name, level: 1 }).waitFor()
/** Waits for a row to go; if it stays, fails with what the row says (its error, say). */
async function gone(row: Locator): Promise<void> {
  try {
    await row.waitFor({ state: 'detached', timeout: 30_000 })
  } catch {
    throw new Error(
      `still there: ${await row.innerText().catch(() => '?')}; calls: ${calls.slice(-8).join(', ')}`,
    )
  }
}
/** Confirms (or cancels) the open dialog, and returns its text. */
async function answerDialog(button: string): Promise<string> {
  const dialog = page.getByRole('dialog')
  await dialog.waitFor()
  const text = await dialog.innerText()
  await dialog.getByRole('button', { name: button }).click()
  await dialog.waitFor({ state: 'detached' })
  return text
}

describe('an admin', () => {
  let secret = ''

  it('signs in with a password; the console leaves no token of its own', async () => {
    await signIn(page, app.url, admin())
    await page.getByRole('row', { name: /initial admin token/ }).waitFor()
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1)
    await expectAccessible(page, 'my tokens', axeReport)
  })

  it('creates a token and sees its secret once, with a copy button', async () => {
    await page.getByLabel('Name').fill('ci deploy')
    await page.getByLabel('Expires after (days)').fill('30')
    await page.getByRole('button', { name: 'Create token' }).click()
    const panel = page.getByRole('region', { name: 'New token' })
    await panel.getByText('Copy it now: you will not see this again.').waitFor()
    secret = await panel.getByLabel('Token').inputValue()
    expect(secret).toMatch(/^lk_/)
    await panel.getByRole('button', { name: 'Copy token' }).click()
    await panel.getByText('Copied.').waitFor()
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(secret)
    // It is a working token.
    expect((await app.api('GET', '/api/tokens', { token: secret })).status).toBe(200)
    await page.getByRole('row', { name: /ci deploy/ }).waitFor()
    expect(await page.getByRole('row', { name: /ci deploy/ }).innerText()).toContain(
      '2026-12-02 09:30 UTC',
    )
    await expectAccessible(page, 'my tokens with a new secret', axeReport)
    await screenshot(page, 'tokens', { mask: ['input.secret'] })
  })

  it('says what is wrong with a bad name, next to the field', async () => {
    await page.getByLabel('Name').fill('ci deploy')
    await page.getByRole('button', { name: 'Create token' }).click()
    const form = page.getByRole('form', { name: 'Create a token' })
    await form
      .getByRole('alert')
      .filter({ hasText: /exists|taken|already/i })
      .waitFor()
  })

  it('creates a token with scopes, meta and a rate limit; the list shows them', async () => {
    const form = page.getByRole('form', { name: 'Create a token' })
    await form.getByLabel('Name').fill('billing api')
    await form.getByText('Scopes, meta and rate limit').click()
    const scopes = form.getByRole('group', { name: 'Scopes' })
    // The session's scopes are offered; tokens:verify is not one of them.
    expect(await scopes.getByRole('checkbox').count()).toBe(8)
    await scopes.getByLabel('tokens:read').check()
    await scopes.getByLabel('projects:read').check()
    await form.getByLabel('Meta (JSON object)').fill('{"service": "billing", "tier": 2}')
    await form.getByLabel('Rate limit: requests').fill('100')
    await form.getByLabel('Rate limit: per seconds').fill('60')
    // Past today's real date too: DynamoDB Local removes expired items by the real clock.
    await form.getByLabel('Expires after (days)').fill('90')
    await form.getByRole('button', { name: 'Create token' }).click()
    const panel = page.getByRole('region', { name: 'New token' })
    await panel.getByRole('heading', { name: 'Token "billing api" created' }).waitFor()
    const key = await panel.getByLabel('Token').inputValue()
    const row = page.getByRole('row', { name: /billing api/ })
    await row.waitFor()
    const text = await row.innerText()
    for (const part of ['tokens:read', 'projects:read', '100 per 60 s', '2027-01-31 09:30 UTC'])
      expect(text).toContain(part)
    expect(text).toContain('{"service":"billing","tier":2}')
    // The API holds exactly that.
    const listed = await app.api('GET', '/api/tokens', { token: key })
    expect(
      listed.body.tokens.find((t: { name: string }) => t.name === 'billing api'),
    ).toMatchObject({
      scopes: ['tokens:read', 'projects:read'],
      meta: { service: 'billing', tier: 2 },
      rateLimit: { limit: 100, windowSeconds: 60 },
      expiresAt: '2027-01-31T09:30:00.000Z',
    })
    // With no scopes chosen, a token gets the session's (not tokens:verify).
    expect(
      (await app.api('GET', '/api/tokens', { token: secret })).body.tokens.find(
        (t: { name: string }) => t.name === 'ci deploy',
      ).scopes,
    ).toHaveLength(8)
    await page.getByRole('button', { name: 'Done, I copied it' }).click()
    await expectAccessible(page, 'my tokens with scopes', axeReport)
    await row.scrollIntoViewIfNeeded()
    await screenshot(page, 'token-scopes')
  })

  it('says what is wrong with meta, scopes and a rate limit next to each field', async () => {
    const form = page.getByRole('form', { name: 'Create a token' })
    const errorOf = async (label: string) => {
      const id = (await form.getByLabel(label).getAttribute('aria-describedby'))?.split(' ').at(-1)
      return form.locator(`[id="${id}"]`)
    }
    await form.getByLabel('Name').fill('bad one')
    // The console's own checks, before any call.
    await form.getByLabel('Meta (JSON object)').fill('{"service": billing}')
    await form.getByRole('button', { name: 'Create token' }).click()
    await (await errorOf('Meta (JSON object)'))
      .getByText(/^Meta \(JSON object\) is not JSON/)
      .waitFor()
    expect(await form.getByLabel('Meta (JSON object)').getAttribute('aria-invalid')).toBe('true')
    await form.getByLabel('Meta (JSON object)').fill('["a"]')
    await form.getByRole('button', { name: 'Create token' }).click()
    await (await errorOf('Meta (JSON object)')).getByText(/must be a JSON object/).waitFor()
    // The API's: a key it does not allow in meta, and a limit out of range.
    await form.getByLabel('Meta (JSON object)').fill('{"__proto__": 1}')
    await form.getByLabel('Rate limit: requests').fill('0')
    await form.getByLabel('Rate limit: per seconds').fill('60')
    await form.getByRole('button', { name: 'Create token' }).click()
    await (await errorOf('Meta (JSON object)')).getByText(/__proto__/).waitFor()
    await (await errorOf('Rate limit: requests')).getByText(/must be >= 1/).waitFor()
    await form.getByLabel('Meta (JSON object)').fill('')
    await form.getByLabel('Rate limit: requests').fill('')
    await form.getByRole('button', { name: 'Create token' }).click()
    await (await errorOf('Rate limit: requests')).getByText(/is needed too/).waitFor()
    // A scope the session does not hold: the API's 403, next to the scopes asked for.
    await form.getByLabel('Rate limit: per seconds').fill('')
    await form.getByLabel('Other scopes').fill('Billing')
    await form.getByRole('button', { name: 'Create token' }).click()
    await (await errorOf('Other scopes')).getByText(/"Billing", which is not a scope/).waitFor()
    await form.getByLabel('Other scopes').fill('tokens:verify')
    await form.getByRole('button', { name: 'Create token' }).click()
    await (await errorOf('Other scopes'))
      .getByText('This credential lacks the scope tokens:verify, so it cannot give it to a token.')
      .waitFor()
    await expectAccessible(page, 'my tokens with errors', axeReport)
    await form.getByLabel('Other scopes').fill('')
    await form.getByLabel('Name').fill('')
  })

  it('never sees the secret again after a reload', async () => {
    await page.reload()
    await heading('Sign in to Latchkey')
    await signIn(page, app.url, admin())
    await page.getByRole('row', { name: /ci deploy/ }).waitFor()
    expect(await page.content()).not.toContain(secret)
    const state = await scriptReadableState(page)
    for (const value of [secret, app.admin.password, ...bearers]) expect(state).not.toContain(value)
  })

  it('deletes one token after confirming', async () => {
    await page.getByRole('button', { name: 'Delete token ci deploy' }).click()
    expect(await answerDialog('Delete token')).toContain('Delete token "ci deploy"?')
    await gone(page.getByRole('row', { name: /ci deploy/ }))
    expect((await app.api('GET', '/api/tokens', { token: secret })).status).toBe(401)
  })

  it('deletes all tokens after confirming (cancel changes nothing); the session goes on', async () => {
    await page.getByRole('button', { name: 'Delete all tokens' }).click()
    await answerDialog('Cancel')
    await expect.poll(() => page.locator('tbody tr').count()).toBe(2)
    await page.getByRole('button', { name: 'Delete all tokens' }).click()
    expect(await answerDialog('Delete all 2 tokens')).toContain('stop working at once')
    await page.getByText('You have no personal access tokens.').waitFor()
    expect((await app.api('GET', '/api/tokens', { token: app.admin.token })).status).toBe(401)
    await nav('Projects').click()
    await heading('Projects')
  })

  it('creates projects, with API errors shown next to the field, and pages through them', async () => {
    const jwt = [...bearers].at(-1) ?? ''
    // Eleven made through the API, so the list has two pages of ten.
    for (let i = 1; i <= 11; i++) {
      const name = `svc-${String(i).padStart(2, '0')}`
      expect(
        (await app.api('POST', '/v1/teams/acme/projects', { token: jwt, body: { name } })).status,
      ).toBe(201)
    }
    const form = page.getByRole('form', { name: 'Create a project' })
    await form.getByLabel('Name').fill('Web Servers')
    await form.getByRole('button', { name: 'Create project' }).click()
    await form.getByText(/^Name must be 1 to 63 lowercase letters/).waitFor()
    expect(await form.getByLabel('Name').getAttribute('aria-invalid')).toBe('true')
    await form.getByLabel('Name').fill('web')
    await form.getByRole('button', { name: 'Create project' }).click()
    await page.getByRole('link', { name: 'svc-01' }).waitFor()
    await expect.poll(() => page.locator('tbody tr').count()).toBe(10)
    await page.getByRole('button', { name: 'Next page' }).click()
    await page.getByRole('link', { name: 'web' }).waitFor()
    await expect.poll(() => page.locator('tbody tr').count()).toBe(2)
    await page.getByRole('button', { name: 'Previous page' }).click()
    await page.getByRole('link', { name: 'svc-01' }).waitFor()
    await form.getByLabel('Name').fill('web')
    await form.getByRole('button', { name: 'Create project' }).click()
    await form.getByRole('alert').getByText('A project named "web" exists.').waitFor()
    await expectAccessible(page, 'projects', axeReport)
    await screenshot(page, 'projects')
  })

  it('makes an enrollment token, reveals and copies it; sees uses left, last use and servers', async () => {
    await page.goto(`${app.url}/#/projects/web`)
    await heading('Project web')
    // A reload signs out; signing in again returns to the page asked for.
    await page.reload()
    await heading('Sign in to Latchkey')
    await page.getByLabel('Team').fill('acme')
    await page.getByLabel('Username').fill('admin')
    await page.getByLabel('Password', { exact: true }).fill(app.admin.password)
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
    await heading('Project web')

    const form = page.getByRole('form', { name: 'Create an enrollment token' })
    await form.getByLabel('Description').fill('web fleet')
    await form.getByLabel('Max uses').fill('5')
    await form.getByLabel('Expires after (hours)').fill('48')
    await form.getByRole('button', { name: 'Create enrollment token' }).click()
    const row = page.getByRole('row', { name: /web fleet/ })
    await row.waitFor()
    expect(await row.innerText()).toContain('5 of 5')
    await row.getByRole('button', { name: 'Reveal web fleet' }).click()
    const value = await row.getByLabel('Token for web fleet').inputValue()
    await row.getByRole('button', { name: 'Copy' }).click()
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(value)

    // Two agents enroll: one two hours ago (now stale), one just now.
    const enroll = (hostname: string) =>
      app.api('POST', '/v1/teams/acme/projects/web/servers', {
        token: value,
        body: { hostname, os: 'linux' },
      })
    vi.setSystemTime(new Date(T.getTime() - 2 * 3600_000))
    expect((await enroll('old-01')).status).toBe(201)
    vi.setSystemTime(T)
    const fresh = await enroll('web-01')
    expect(fresh.status).toBe(201)

    await nav('Projects').click()
    await heading('Projects')
    await page.goto(`${app.url}/#/projects/web`) // the fragment only: still signed in
    await heading('Project web')
    await page
      .getByRole('row', { name: /web fleet/ })
      .getByText('3 of 5')
      .waitFor()
    expect(await page.getByRole('row', { name: /web fleet/ }).innerText()).toContain(
      '2026-11-02 09:30 UTC',
    )
    const stale = page.getByRole('row', { name: /old-01/ })
    await stale.getByText('stale').waitFor()
    expect(
      await page
        .getByRole('row', { name: /web-01/ })
        .getByText('stale')
        .count(),
    ).toBe(0)
    await expectAccessible(page, 'project', axeReport)
    await screenshot(page, 'project', { fullPage: true })

    // Deleting a server revokes its token at once.
    await page.getByRole('button', { name: 'Delete server old-01' }).click()
    expect(await answerDialog('Delete server')).toContain('revoked at once')
    await gone(stale)
    const heartbeat = await app.api(
      'POST',
      `/v1/teams/acme/projects/web/servers/${fresh.body.server.id}/heartbeat`,
      { token: fresh.body.server_token },
    )
    expect(heartbeat.status).toBe(204)

    await page.getByRole('button', { name: 'Delete enrollment token web fleet' }).click()
    expect(await answerDialog('Delete enrollment token')).toContain('Servers already enrolled')
    await gone(page.getByRole('row', { name: /web fleet/ }))
    expect((await enroll('web-02')).status).toBe(401)
  })

  it("sees the team page with the session's scopes and the team's sections", async () => {
    await nav('Team').click()
    await heading('Team acme')
    for (const name of ['Token policy', 'Users and roles', 'All tokens', 'Audit trail'])
      await page.getByRole('heading', { name, level: 2 }).waitFor()
    const scopes = page.getByRole('definition').filter({ hasText: 'tokens:read' }).first()
    expect(await scopes.innerText()).toBe(
      'tokens:read tokens:write projects:read enrollment:read servers:read projects:write enrollment:write servers:write',
    )
    await expectAccessible(page, 'team', axeReport)
  })

  it('deletes a project after a confirmation naming what goes with it', async () => {
    await nav('Projects').click()
    await page.getByRole('button', { name: 'Next page' }).click()
    await page.getByRole('button', { name: 'Delete project web' }).click()
    const text = await answerDialog('Delete web')
    expect(text).toContain('0 enrollment tokens and 1 server')
    await page.getByRole('link', { name: 'web' }).waitFor({ state: 'detached' })
    expect(
      (await app.api('GET', '/v1/teams/acme/projects/web', { token: [...bearers].at(-1) })).status,
    ).toBe(404)
  })

  it('signs out; nothing of the session is left', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click()
    await heading('Sign in to Latchkey')
    expect(await nav('Projects').count()).toBe(0)
    const state = await scriptReadableState(page)
    for (const value of [...bearers, app.admin.password]) expect(state).not.toContain(value)
    expect(problems).toEqual([])
  })
})

describe('keyboard only', () => {
  it('signs in, creates and deletes a project without a mouse', async () => {
    const keys = await browser.context.newPage()
    await keys.goto(app.url)
    await keys.getByRole('heading', { name: 'Sign in to Latchkey' }).waitFor()
    // Focus starts on the page's heading; the form's fields follow in order.
    expect(await keys.evaluate('document.activeElement.textContent')).toBe('Sign in to Latchkey')
    await keys.keyboard.press('Tab')
    await keys.keyboard.type('acme')
    await keys.keyboard.press('Tab')
    await keys.keyboard.type('admin')
    await keys.keyboard.press('Tab')
    await keys.keyboard.type(app.admin.password)
    await keys.keyboard.press('Enter')
    await keys.getByRole('heading', { name: 'My tokens', level: 1 }).waitFor()
    // A token with a scope: the disclosure opens with Enter, a checkbox ticks with Space.
    await keys.keyboard.press('Tab')
    await keys.keyboard.type('by keys')
    await keys.keyboard.press('Tab') // expiry
    await keys.keyboard.press('Tab') // Scopes, meta and rate limit
    expect(await keys.evaluate('document.activeElement.tagName')).toBe('SUMMARY')
    await keys.keyboard.press('Enter')
    await keys.keyboard.press('Tab')
    expect(await keys.evaluate('document.activeElement.value')).toBe('tokens:read')
    await keys.keyboard.press('Space')
    for (let tab = 0; tab < 20; tab++) {
      if ((await keys.evaluate('document.activeElement.textContent')) === 'Create token') break
      await keys.keyboard.press('Tab')
    }
    await keys.keyboard.press('Enter')
    await keys.getByRole('heading', { name: 'Token "by keys" created' }).waitFor()
    // The secret is selected, ready to copy.
    expect(await keys.evaluate('document.activeElement.className')).toBe('secret')
    await keys
      .getByRole('row', { name: /by keys/ })
      .getByText('tokens:read')
      .waitFor()
    await keys.goto(`${app.url}/#/projects`) // same document: only the fragment changes
    await keys.getByRole('heading', { name: 'Projects', level: 1 }).waitFor()
    // Focus moved to the page's heading; the create form comes next.
    await keys.keyboard.press('Tab')
    await keys.keyboard.type('keys')
    await keys.keyboard.press('Enter')
    // Names sort first: "keys" is on the first page.
    await keys.getByRole('link', { name: 'keys' }).waitFor()
    await keys.getByRole('button', { name: 'Delete project keys' }).focus()
    await keys.keyboard.press('Enter')
    await keys.getByRole('dialog').waitFor()
    // The dialog starts on Cancel; Escape would cancel; Tab reaches the delete button.
    expect(await keys.evaluate('document.activeElement.textContent')).toBe('Cancel')
    await keys.keyboard.press('Tab')
    await keys.keyboard.press('Enter')
    await keys.getByRole('link', { name: 'keys' }).waitFor({ state: 'detached' })
    await keys.close()
  })
})
