import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import axe from 'axe-core'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
import { expect } from 'vitest'
import { startTestApp } from '../support/app.js'

/** Debian's Chromium (`apt-get install chromium`); nothing is downloaded. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * Headless Chromium on a new, empty profile, with everything that would reach the
 * network on its own turned off.
 */
export async function openBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `No Chromium at ${CHROMIUM}: apt-get install chromium (Debian), or set CHROMIUM_PATH`,
    )
  const profile = await mkdtemp(join(tmpdir(), 'latchkey-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1100, height: 720 },
    deviceScaleFactor: 1,
    timezoneId: 'UTC',
    locale: 'en-GB',
  })
  return {
    context,
    close: async () => {
      await context.close()
      await rm(profile, { recursive: true, force: true })
    },
  }
}

/** A Latchkey for this file, with people who sign in by password. */
export async function startConsoleApp() {
  const app = await startTestApp('acme')
  const { hashPassword } = await import('../../shared/auth/password.js')
  const users = await import('../../shared/data/users.js')
  const { createAccessToken } = await import('../../shared/domain/access-tokens.js')
  const addPerson = async (
    username: string,
    role: 'admin' | 'member',
    options: { mfa?: boolean } = {},
  ) => {
    const password = `pw-${username}-${Math.random().toString(36).slice(2)}`
    await users.putUser({
      team: 'acme',
      username,
      role,
      passwordHash: await hashPassword(password),
      mfaEnabled: options.mfa ?? false,
      createdAt: new Date().toISOString(),
    })
    const { accessKey } = await createAccessToken({ team: 'acme', username }, { name: 'laptop' })
    return { team: 'acme', username, password, token: accessKey }
  }
  return { ...app, addPerson }
}

export interface Person {
  team: string
  username: string
  password: string
}

/** Fails the test on any script error or CSP violation the page reports. */
export function watchPage(page: Page): string[] {
  const problems: string[] = []
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of 4\d\d/.test(message.text()))
      problems.push(`console: ${message.text()}`)
  })
  return problems
}

export async function signIn(page: Page, url: string, person: Person) {
  await page.goto(url)
  await page.getByLabel('Team').fill(person.team)
  await page.getByLabel('Username').fill(person.username)
  await page.getByLabel('Password', { exact: true }).fill(person.password)
  await page.getByRole('button', { name: 'Sign in', exact: true }).click()
  await page.getByRole('heading', { name: 'My tokens', level: 1 }).waitFor()
}

/**
 * axe-core on the page as it is now; evaluated through the DevTools protocol, which
 * the page's CSP does not govern (an injected <script> would be refused, as it should).
 */
export async function axeViolations(page: Page) {
  await page.evaluate(axe.source)
  const result = (await page.evaluate(`axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
  }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help })))`)) as {
    id: string
    impact: string | null
    nodes: number
    help: string
  }[]
  return result
}

/** Every page must have no serious or critical violation; the rest are reported. */
export async function expectAccessible(page: Page, name: string, report: Map<string, unknown>) {
  const violations = await axeViolations(page)
  report.set(name, violations)
  expect(
    violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'),
    name,
  ).toEqual([])
}

/** Everything script on the page can keep between loads: storage, cookies, the URL. */
export async function scriptReadableState(page: Page): Promise<string> {
  return (await page.evaluate(`JSON.stringify({
    local: Object.entries(localStorage),
    session: Object.entries(sessionStorage),
    cookies: document.cookie,
    url: location.href,
    history: history.length,
  })`)) as string
}

const docs = new URL('../../docs/screenshots/', import.meta.url).pathname

/** Screenshots for the README, taken by the tests so they show the console as it is. */
export async function screenshot(
  page: Page,
  name: string,
  options: { mask?: string[]; fullPage?: boolean } = {},
) {
  const png = await page.screenshot({
    fullPage: options.fullPage ?? false,
    mask: (options.mask ?? []).map((selector) => page.locator(selector)),
    maskColor: '#d0d4da',
    animations: 'disabled',
  })
  // Kept small for the repository: a plain UI at 1x compresses well.
  expect(png.length, `${name}.png size`).toBeLessThan(120_000)
  await writeFile(join(docs, `${name}.png`), png)
}
