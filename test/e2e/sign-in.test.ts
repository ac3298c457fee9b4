import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  expectAccessible,
  openBrowser,
  type Person,
  screenshot,
  scriptReadableState,
  signIn,
  startConsoleApp,
  watchPage,
} from './support.js'

let app: Awaited<ReturnType<typeof startConsoleApp>>
let browser: Awaited<ReturnType<typeof openBrowser>>
const axeReport = new Map<string, unknown>()

beforeAll(async () => {
  ;[app, browser] = await Promise.all([startConsoleApp(), openBrowser()])
})
afterAll(async () => {
  await browser?.close()
  await app?.close()
  console.log('axe (sign-in):', JSON.stringify(Object.fromEntries(axeReport)))
})

async function fresh(): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.context.newPage()
  return { page, problems: watchPage(page) }
}

const fillPassword = async (page: Page, person: Person) => {
  await page.getByLabel('Team').fill(person.team)
  await page.getByLabel('Username').fill(person.username)
  await page.getByLabel('Password', { exact: true }).fill(person.password)
  await page.getByRole('button', { name: 'Sign in', exact: true }).click()
}

const passwordForm = (page: Page) => page.getByRole('form', { name: 'Sign in with a password' })

describe('the console page', () => {
  it('is served at / with a strict CSP and security headers, and the API keeps its paths', async () => {
    // The console's files are not API routes: outside the API contract's check.
    const page = await app.api('GET', '/', { unchecked: true })
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    const csp = page.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("default-src 'none'")
    expect(csp).not.toContain('unsafe-inline')
    expect(page.headers.get('x-content-type-options')).toBe('nosniff')
    expect(page.headers.get('x-frame-options')).toBe('DENY')
    expect(page.headers.get('referrer-policy')).toBe('no-referrer')
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)/) // no inline script
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(page.text)?.[1] ?? ''
    const asset = await app.api('GET', script, { unchecked: true })
    expect(asset.status).toBe(200)
    expect(asset.headers.get('cache-control')).toContain('immutable')
    // Everything else is still the API's: unknown paths get its JSON 404.
    expect((await app.api('GET', '/assets/nothing.js')).body.code).toBe('resource_does_not_exist')
    expect((await app.api('GET', '/nothing')).body.code).toBe('resource_does_not_exist')
    expect((await app.api('POST', '/', { unchecked: true })).status).toBe(404)
  })

  it('becomes interactive quickly and is accessible', async () => {
    const { page, problems } = await fresh()
    await page.goto(app.url)
    await page.getByRole('heading', { name: 'Sign in to Latchkey' }).waitFor()
    const tti = (await page.evaluate(
      `performance.now() - performance.getEntriesByType('navigation')[0].startTime`,
    )) as number
    console.log(`time to interactive (sign-in form ready): ${Math.round(tti)} ms`)
    expect(tti).toBeLessThan(3000)
    await expectAccessible(page, 'sign-in', axeReport)
    await screenshot(page, 'sign-in')
    expect(problems).toEqual([])
    await page.close()
  })
})

describe('signing in', () => {
  it('names each missing field next to it', async () => {
    const { page } = await fresh()
    await page.goto(app.url)
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
    const form = passwordForm(page)
    await expect(form.getByText('Team is required.').isVisible()).resolves.toBe(true)
    await expect(form.getByText('Username is required.').isVisible()).resolves.toBe(true)
    await expect(form.getByText('Password is required.').isVisible()).resolves.toBe(true)
    expect(await page.getByLabel('Team').getAttribute('aria-invalid')).toBe('true')
    await page.close()
  })

  it('says a wrong password is wrong, and signs in with the right one', async () => {
    const ada = await app.addPerson('ada', 'admin')
    const { page, problems } = await fresh()
    await page.goto(app.url)
    await fillPassword(page, { ...ada, password: 'not it' })
    await passwordForm(page)
      .getByRole('alert')
      .getByText('Wrong team, username or password.')
      .waitFor()
    await expectAccessible(page, 'sign-in with an error', axeReport)
    await page.getByLabel('Password', { exact: true }).fill(ada.password)
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
    await page.getByRole('heading', { name: 'My tokens', level: 1 }).waitFor()
    expect(await page.getByText('ada (admin) in acme').isVisible()).toBe(true)
    expect(problems).toEqual([])
    await page.close()
  })

  it('locks a user out after 5 failures, even with the right password', async () => {
    const lou = await app.addPerson('lou', 'member')
    const { page } = await fresh()
    await page.goto(app.url)
    for (let attempt = 1; attempt <= 5; attempt++) {
      await fillPassword(page, { ...lou, password: `wrong ${attempt}` })
      await passwordForm(page).getByText('Wrong team, username or password.').waitFor()
    }
    await fillPassword(page, lou)
    const alert = passwordForm(page).getByRole('alert')
    await alert.getByText(/Too many failed attempts.*Try again in 15 minutes\./).waitFor()
    expect(await page.getByRole('heading', { name: 'Sign in to Latchkey' }).isVisible()).toBe(true)
    await page.close()
  })

  it('tells MFA users to sign in with a token, which works', async () => {
    const mia = await app.addPerson('mia', 'member', { mfa: true })
    const { page, problems } = await fresh()
    await page.goto(app.url)
    await fillPassword(page, mia)
    await passwordForm(page)
      .getByText(/multi-factor authentication: sign in with a personal access token instead/)
      .waitFor()
    // The token field has focus: the next step is right there.
    expect(await page.evaluate('document.activeElement.id')).toMatch(/^token-/)
    await page.getByLabel('Personal access token').fill(mia.token)
    await page.getByRole('button', { name: 'Sign in with token' }).click()
    await page.getByRole('heading', { name: 'My tokens', level: 1 }).waitFor()
    expect(await page.getByText('mia (member) in acme').isVisible()).toBe(true)
    // The console's own sign-in token is gone already: only her laptop token is listed.
    await page.getByRole('row', { name: /laptop/ }).waitFor()
    expect(await page.getByRole('row', { name: /console sign-in/ }).count()).toBe(0)
    expect(problems).toEqual([])
    await page.close()
  })

  it('refuses a bad token in words', async () => {
    const { page } = await fresh()
    await page.goto(app.url)
    await page.getByLabel('Personal access token').fill('lk_not_a_token')
    await page.getByRole('button', { name: 'Sign in with token' }).click()
    await page
      .getByRole('form', { name: 'Sign in with a token' })
      .getByRole('alert')
      .filter({ hasText: /./ })
      .waitFor()
    expect(await page.getByRole('heading', { name: 'Sign in to Latchkey' }).isVisible()).toBe(true)
    await page.close()
  })

  it('keeps the session in memory only: nothing secret in storage, cookies or the URL; a reload signs out', async () => {
    const max = await app.addPerson('max', 'member')
    const { page } = await fresh()
    const bearers = new Set<string>()
    page.on('request', (request) => {
      const header = request.headers().authorization
      if (header) bearers.add(header.replace(/^Bearer /, ''))
    })
    await signIn(page, app.url, max)
    await page.getByRole('link', { name: 'Projects' }).click()
    await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor()
    const state = await scriptReadableState(page)
    expect(bearers.size).toBeGreaterThan(0)
    for (const secret of [...bearers, max.password, max.token]) expect(state).not.toContain(secret)
    expect(JSON.parse(state).cookies).toBe('')
    const cookies = await browser.context.cookies()
    expect(cookies).toEqual([])
    await page.reload()
    await page.getByRole('heading', { name: 'Sign in to Latchkey' }).waitFor()
    await page.close()
  })

  it("signs out, forgets the session and deletes the console's token if it was left", async () => {
    const ben = await app.addPerson('ben', 'member')
    const { page } = await fresh()
    // The console's own token can't be deleted at sign-in this time (the call is lost).
    let lost = false
    await page.route(/\/api\/tokens\/\d+$/, (route) => {
      if (lost || route.request().method() !== 'DELETE') return route.continue()
      lost = true
      return route.abort()
    })
    await signIn(page, app.url, ben)
    expect(lost).toBe(true)
    const names = async () =>
      (await app.api('GET', '/api/tokens', { token: ben.token })).body.tokens.map(
        (t: { name: string }) => t.name,
      )
    expect(await names()).toEqual(['laptop', expect.stringMatching(/^console sign-in /)])
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('heading', { name: 'Sign in to Latchkey' }).waitFor()
    await page.getByText('Signed out.').waitFor()
    await page.goto(`${app.url}/#/projects`)
    await page.getByRole('heading', { name: 'Sign in to Latchkey' }).waitFor()
    // Signing out deleted it: no console token is left behind for ben.
    await expect.poll(names).toEqual(['laptop'])
    await page.close()
  })
})

/** The claims of a JWT the page sent (it is the test's to read, as the page reads its own). */
const claimsOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as {
    sub: string
    role: string
    scopes?: string[]
  }

/** The service tokens a page sends, in order. */
function serviceTokens(page: Page): string[] {
  const sent: string[] = []
  page.on('request', (request) => {
    const jwt = request.headers().authorization?.replace(/^Bearer /, '')
    if (jwt && jwt.split('.').length === 3 && !sent.includes(jwt)) sent.push(jwt)
  })
  return sent
}

const MEMBER = ['tokens:read', 'tokens:write', 'projects:read', 'enrollment:read', 'servers:read']
const ADMIN = [...MEMBER, 'projects:write', 'enrollment:write', 'servers:write']

describe('the console session', () => {
  it("holds exactly the console's scopes its user's role allows: an admin's all eight, never tokens:verify", async () => {
    const { page } = await fresh()
    const sent = serviceTokens(page)
    await signIn(page, app.url, { ...app.admin, team: 'acme', username: 'admin' })
    await page.getByRole('row', { name: /initial admin token/ }).waitFor()
    expect(sent).toHaveLength(1)
    const claims = claimsOf(sent[0] ?? '')
    expect(claims).toMatchObject({ sub: 'admin', role: 'admin' })
    expect(claims.scopes).toEqual(ADMIN)
    // The session's token can't verify tokens, which the console never does.
    const verify = await app.api('POST', '/v1/teams/acme/tokens/verify', {
      token: sent[0],
      body: { token: app.admin.token },
    })
    expect(verify.status).toBe(403)
    expect(verify.body.message).toBe(
      'This token lacks the scope tokens:verify, which this route needs.',
    )
    await page.close()
  })

  it("holds a member's five (the admin scopes are refused, then left out), and no token is left", async () => {
    const meg = await app.addPerson('meg', 'member')
    const { page } = await fresh()
    const sent = serviceTokens(page)
    await signIn(page, app.url, meg)
    await page.getByRole('row', { name: /laptop/ }).waitFor()
    expect(sent).toHaveLength(1)
    expect(claimsOf(sent[0] ?? '')).toMatchObject({ sub: 'meg', role: 'member', scopes: MEMBER })
    const left = await app.api('GET', '/api/tokens', { token: meg.token })
    expect(left.body.tokens.map((t: { name: string }) => t.name)).toEqual(['laptop'])
    await page.close()
  })

  it("from a pasted scoped token, holds only the console's scopes that token holds; the rest is refused in words", async () => {
    const sam = await app.addPerson('sam', 'admin')
    const pasted = await app.api('POST', '/api/tokens', {
      token: sam.token,
      body: {
        name: 'narrow',
        scopes: ['tokens:read', 'tokens:write', 'projects:read', 'billing:read'],
      },
    })
    expect(pasted.status).toBe(200)
    await app.api('POST', '/v1/teams/acme/projects', {
      token: sam.token,
      body: { name: 'narrow-web' },
    })
    const { page, problems } = await fresh()
    const sent = serviceTokens(page)
    await page.goto(app.url)
    await page.getByLabel('Personal access token').fill(pasted.body.accessKey)
    await page.getByRole('button', { name: 'Sign in with token' }).click()
    await page.getByRole('row', { name: /narrow/ }).waitFor()
    expect(claimsOf(sent.at(-1) ?? '').scopes).toEqual([
      'tokens:read',
      'tokens:write',
      'projects:read',
    ])
    // Outside the session's scopes: the project's enrollment tokens and servers.
    await page.goto(`${app.url}/#/projects/narrow-web`)
    await page.getByRole('heading', { name: 'Project narrow-web', level: 1 }).waitFor()
    await page
      .getByText('This token lacks the scope enrollment:read, which this route needs.')
      .waitFor()
    await page
      .getByText('This token lacks the scope servers:read, which this route needs.')
      .waitFor()
    // Nor can it make what it does not hold, though its user is an admin.
    await page.goto(`${app.url}/#/projects`)
    const create = page.getByRole('form', { name: 'Create a project' })
    await create.getByLabel('Name').fill('more')
    await create.getByRole('button', { name: 'Create project' }).click()
    await create
      .getByRole('alert')
      .getByText('This token lacks the scope projects:write, which this route needs.')
      .waitFor()
    const left = await app.api('GET', '/api/tokens', { token: sam.token })
    expect(left.body.tokens.map((t: { name: string }) => t.name)).toEqual(['laptop', 'narrow'])
    expect(problems).toEqual([])
    await page.close()
  })

  it('refuses a pasted token that cannot make tokens, in words', async () => {
    const ron = await app.addPerson('ron', 'member')
    const pasted = await app.api('POST', '/api/tokens', {
      token: ron.token,
      body: { name: 'read only', scopes: ['tokens:read'] },
    })
    const { page } = await fresh()
    await page.goto(app.url)
    await page.getByLabel('Personal access token').fill(pasted.body.accessKey)
    await page.getByRole('button', { name: 'Sign in with token' }).click()
    await page
      .getByRole('form', { name: 'Sign in with a token' })
      .getByRole('alert')
      .getByText('This token lacks the scope tokens:write, which this route needs.')
      .waitFor()
    await page.close()
  })
})
