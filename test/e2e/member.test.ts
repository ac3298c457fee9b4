import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { expectAccessible, openBrowser, signIn, startConsoleApp, watchPage } from './support.js'

/** A member: reads the team's projects, manages only their own tokens. */
let app: Awaited<ReturnType<typeof startConsoleApp>>
let browser: Awaited<ReturnType<typeof openBrowser>>
let page: Page
let problems: string[]
let member: Awaited<ReturnType<Awaited<ReturnType<typeof startConsoleApp>>['addPerson']>>
let serverId = ''
let tokenId = ''
const bearers: string[] = []
const axeReport = new Map<string, unknown>()

beforeAll(async () => {
  ;[app, browser] = await Promise.all([startConsoleApp(), openBrowser()])
  member = await app.addPerson('max', 'member')
  // What an admin made: a project with an enrollment token and an enrolled server.
  const admin = app.admin.token
  await app.api('POST', '/v1/teams/acme/projects', { token: admin, body: { name: 'web' } })
  const made = await app.api('POST', '/v1/teams/acme/projects/web/server_enrollment_tokens', {
    token: admin,
    body: { description: 'web fleet', max_uses: 3 },
  })
  tokenId = made.body.id
  const enrolled = await app.api('POST', '/v1/teams/acme/projects/web/servers', {
    token: made.body.token,
    body: { hostname: 'web-01', os: 'linux' },
  })
  serverId = enrolled.body.server.id
  page = await browser.context.newPage()
  problems = watchPage(page)
  page.on('request', (request) => {
    const header = request.headers().authorization
    if (header) bearers.push(header.replace(/^Bearer /, ''))
  })
})
afterAll(async () => {
  await browser?.close()
  await app?.close()
  console.log('axe (member):', JSON.stringify(Object.fromEntries(axeReport)))
})

const nav = (name: string) =>
  page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name })
const heading = (name: string) => page.getByRole('heading', { name, level: 1 }).waitFor()

describe('a member', () => {
  it('signs in and manages their own tokens', async () => {
    await signIn(page, app.url, member)
    expect(await page.getByText('max (member) in acme').isVisible()).toBe(true)
    await page.getByLabel('Name').fill('scripts')
    await page.getByRole('button', { name: 'Create token' }).click()
    const secret = await page
      .getByRole('region', { name: 'New token' })
      .getByLabel('Token')
      .inputValue()
    expect((await app.api('GET', '/api/tokens', { token: secret })).status).toBe(200)
    await page.getByRole('button', { name: 'Delete token scripts' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Delete token' }).click()
    await page.getByRole('row', { name: /scripts/ }).waitFor({ state: 'detached' })
    expect((await app.api('GET', '/api/tokens', { token: secret })).status).toBe(401)
  })

  it('reads projects, enrollment tokens and servers, with no admin controls', async () => {
    await nav('Projects').click()
    await heading('Projects')
    await page.getByRole('link', { name: 'web' }).waitFor()
    expect(await page.getByRole('form', { name: 'Create a project' }).count()).toBe(0)
    expect(await page.getByRole('button', { name: /^Delete/ }).count()).toBe(0)
    await page.getByText('Members see projects; admins create and delete them.').waitFor()
    await expectAccessible(page, 'projects (member)', axeReport)

    await page.getByRole('link', { name: 'web' }).click()
    await heading('Project web')
    const row = page.getByRole('row', { name: /web fleet/ })
    await row.getByText('2 of 3').waitFor()
    await page.getByRole('row', { name: /web-01/ }).waitFor()
    expect(await page.getByRole('form', { name: 'Create an enrollment token' }).count()).toBe(0)
    expect(await page.getByRole('button', { name: /^(Delete|Rotate)/ }).count()).toBe(0)
    // Members may read an enrollment token's value, as the API lets them.
    await row.getByRole('button', { name: 'Reveal web fleet' }).click()
    expect(await row.getByLabel('Token for web fleet').inputValue()).not.toBe('')
    await expectAccessible(page, 'project (member)', axeReport)
  })

  it("sees the team's token policy, and that the rest is for admins", async () => {
    await page.goto(`${app.url}/#/team`)
    await heading('Team acme')
    await page
      .getByText('Team admins also see the users, all tokens and the audit trail here.')
      .waitFor()
    expect(await page.getByRole('heading', { name: 'Audit trail' }).count()).toBe(0)
  })

  it("is refused admin actions by the API itself, called from the console's own page", async () => {
    const jwt = bearers.at(-1) ?? ''
    expect(jwt.split('.')).toHaveLength(3)
    const base = '/v1/teams/acme/projects'
    const attempts = [
      ['POST', base, { name: 'mine' }],
      ['DELETE', `${base}/web`, undefined],
      ['POST', `${base}/web/server_enrollment_tokens`, { description: 'mine' }],
      ['DELETE', `${base}/web/server_enrollment_tokens/${tokenId}`, undefined],
      ['DELETE', `${base}/web/servers/${serverId}`, undefined],
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
    // Nothing changed.
    const servers = await app.api('GET', `${base}/web/servers`, { token: app.admin.token })
    expect(servers.body.list).toHaveLength(1)
    expect(problems).toEqual([])
  })

  it('is signed out, in words, when the service token expires', async () => {
    // The server's clock moves past the token's hour; the next call is refused.
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 61 * 60_000)
    try {
      await nav('Projects').click()
      await heading('Sign in to Latchkey')
      await page.getByText('Your session expired. Sign in again.').waitFor()
    } finally {
      vi.useRealTimers()
    }
  })
})
