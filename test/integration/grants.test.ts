import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp } from '../support/app.js'
import { expectRetryHeaders } from '../support/retry-headers.js'

/** Server Density's `/tokens`: the password grant, the token grant and delete. */
let app: Awaited<ReturnType<typeof startTestApp>>
let grants: typeof import('../../shared/domain/grants.js')

const PASSWORD = 'correct horse battery staple'

beforeAll(async () => {
  app = await startTestApp('acme')
  grants = await import('../../shared/domain/grants.js')
})
afterAll(() => app?.close())

/** A user of acme with a password (and maybe MFA). */
async function userWithPassword(username: string, mfaEnabled = false) {
  const { hashPassword } = await import('../../shared/auth/password.js')
  const { putUser } = await import('../../shared/data/users.js')
  await putUser({
    team: 'acme',
    username,
    role: 'member',
    passwordHash: await hashPassword(PASSWORD),
    mfaEnabled,
    createdAt: new Date().toISOString(),
  })
}

const form = (fields: Record<string, string>) => ({
  rawBody: new URLSearchParams(fields).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
})
const passwordFields = (username: string, tokenName: string, password = PASSWORD) => ({
  username,
  password,
  accountName: 'acme',
  tokenName,
})

describe('the password grant', () => {
  beforeAll(() => userWithPassword('pat'))

  it.each([
    ['JSON to /tokens', '/tokens', (name: string) => ({ body: passwordFields('pat', name) })],
    ['a form to /tokens', '/tokens', (name: string) => form(passwordFields('pat', name))],
    ['JSON to /tokens/', '/tokens/', (name: string) => ({ body: passwordFields('pat', name) })],
    ['a form to /tokens/', '/tokens/', (name: string) => form(passwordFields('pat', name))],
  ])('creates a personal access token from %s', async (label, path, options) => {
    const name = `by ${label}`
    const reply = await app.api('POST', path, options(name))
    expect(reply.status).toBe(200)
    expect(reply.headers.get('cache-control')).toBe('no-store')
    expect(reply.body).toEqual({
      token: expect.stringMatching(/^lk_/),
      tokenName: name,
      id: expect.any(Number),
      accountName: 'acme',
      username: 'pat',
      dateCreated: expect.stringMatching(/Z$/),
    })
    // The same kind of token as /api/tokens: it authenticates and is listed by name.
    const listed = await app.api('GET', '/api/tokens', { token: reply.body.token })
    expect(listed.status).toBe(200)
    expect(listed.body.tokens.find((t: { id: number }) => t.id === reply.body.id)?.name).toBe(name)
  })

  it('answers the same 401 for a wrong password, an unknown user and an unknown team', async () => {
    await app.addUser('acme', 'nopass') // token-only: no password at all
    const replies = await Promise.all([
      app.api('POST', '/tokens', { body: passwordFields('pat', 'x', 'wrong') }),
      app.api('POST', '/tokens', { body: passwordFields('nobody', 'x') }),
      app.api('POST', '/tokens', { body: { ...passwordFields('pat', 'x'), accountName: 'nope' } }),
      // The bootstrap admin has a password; a user made by addUser has none.
      app.api('POST', '/tokens', { body: passwordFields('nopass', 'x') }),
    ])
    for (const reply of replies) {
      expect(reply.status).toBe(401)
      expect(reply.body).toEqual(replies[0]?.body)
    }
    expect(replies[0]?.body.code).toBe('authentication_error')
  })

  it('answers 403 mfa_required only to someone who knows the password', async () => {
    await userWithPassword('mfa-user', true)
    const right = await app.api('POST', '/tokens', { body: passwordFields('mfa-user', 'm') })
    expect(right.status).toBe(403)
    expect(right.body.code).toBe('mfa_required')
    expect(right.body.message).toMatch(/with an existing token \(\?token= or Authorization\)/)
    expect(right.body.message).not.toMatch(/UI/) // there is none
    const wrong = await app.api('POST', '/tokens', {
      body: passwordFields('mfa-user', 'm', 'wrong'),
    })
    expect(wrong.status).toBe(401)
  })

  it('answers 400 naming every missing field', async () => {
    const reply = await app.api('POST', '/tokens', { body: { username: 'pat' } })
    expect(reply.status).toBe(400)
    expect(reply.body.errors.map((e: { description: string }) => e.description).sort()).toEqual([
      'accountName',
      'password',
      'tokenName',
    ])
  })

  it('answers 409 for a token name the user already has', async () => {
    await app.api('POST', '/tokens', { body: passwordFields('pat', 'twice') })
    const again = await app.api('POST', '/tokens', { body: passwordFields('pat', 'twice') })
    expect(again.status).toBe(409)
  })

  it('answers 415 for a body that is neither JSON nor a form', async () => {
    const reply = await app.api('POST', '/tokens', {
      rawBody: 'username=pat',
      headers: { 'content-type': 'text/plain' },
    })
    expect(reply.status).toBe(415)
  })
})

describe('lockout after 5 failures in 15 minutes', () => {
  it('answers 429 with Retry-After, even with the right password, until the window passes', async () => {
    await userWithPassword('locky')
    for (let i = 0; i < 5; i++) {
      const reply = await app.api('POST', '/tokens', {
        body: passwordFields('locky', 'x', `wrong ${i}`),
      })
      expect(reply.status).toBe(401)
    }
    const sentAt = Date.now()
    const locked = await app.api('POST', '/tokens', { body: passwordFields('locky', 'x') })
    expect(locked.status).toBe(429)
    expect(locked.body.code).toBe('too_many_requests')
    const { retryAfter } = expectRetryHeaders(locked.headers, sentAt, Date.now())
    expect(retryAfter).toBeGreaterThan(880)
    expect(retryAfter).toBeLessThanOrEqual(900)

    // The clock moves on: just before the window ends still locked, just after open.
    const start = Date.now()
    const at = (ms: number) => new Date(start + ms)
    await expect(
      grants.createTokenByPassword(passwordFields('locky', 'later'), at(14 * 60_000)),
    ).rejects.toMatchObject({ code: 'too_many_requests' })
    const created = await grants.createTokenByPassword(
      passwordFields('locky', 'later'),
      at(15 * 60_000 + 1000),
    )
    expect(created.token.name).toBe('later')
  })

  it('gives the allowance back after a success', async () => {
    await userWithPassword('forgetful')
    const start = Date.now()
    for (let i = 0; i < 4; i++)
      await expect(
        grants.createTokenByPassword(passwordFields('forgetful', 'x', 'wrong'), new Date(start)),
      ).rejects.toMatchObject({ code: 'authentication_error' })
    await grants.createTokenByPassword(passwordFields('forgetful', 'ok'), new Date(start))
    for (let i = 0; i < 5; i++)
      await expect(
        grants.createTokenByPassword(passwordFields('forgetful', 'x', 'wrong'), new Date(start)),
      ).rejects.toMatchObject({ code: 'authentication_error' })
  })

  it('limits unknown usernames the same way (lockout is no oracle)', async () => {
    for (let i = 0; i < 5; i++)
      expect(
        (await app.api('POST', '/tokens', { body: passwordFields('ghost', 'x', 'guess') })).status,
      ).toBe(401)
    const reply = await app.api('POST', '/tokens', { body: passwordFields('ghost', 'x') })
    expect(reply.status).toBe(429)
  })

  it('never lets 20 concurrent guesses check more than 5 passwords', async () => {
    await userWithPassword('stormed')
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        app.api('POST', '/tokens', { body: passwordFields('stormed', 'x', `guess ${i}`) }),
      ),
    )
    const statuses = replies.map((r) => r.status).sort()
    expect(statuses.filter((s) => s === 401)).toHaveLength(5)
    expect(statuses.filter((s) => s === 429)).toHaveLength(15)
  })
})

describe('the token grant', () => {
  it.each([
    [
      '?token= and ?tokenName= on /tokens/',
      '/tokens/',
      false,
      (name: string) => `?tokenName=${encodeURIComponent(name)}`,
      undefined,
    ],
    [
      '?token= and a JSON tokenName on /tokens',
      '/tokens',
      false,
      () => '',
      (name: string) => ({ body: { tokenName: name } }),
    ],
    [
      'a Bearer token and a form tokenName on /tokens',
      '/tokens',
      true,
      () => '',
      (name: string) => form({ tokenName: name }),
    ],
  ] as const)(
    'creates another token for the same user from %s',
    async (label, path, bearer, query, options) => {
      const name = `grant ${label}`.slice(0, 50)
      const token = app.admin.token
      const reply = await app.api('POST', `${path}${query(name)}`, {
        token,
        tokenInQuery: !bearer,
        ...options?.(name),
      })
      expect(reply.status).toBe(200)
      expect(reply.body).toMatchObject({ tokenName: name, accountName: 'acme', username: 'admin' })
      const listed = await app.api('GET', '/api/tokens', { token: reply.body.token })
      expect(listed.body.tokens.map((t: { name: string }) => t.name)).toContain(name)
    },
  )

  it('answers 400 naming tokenName when it is in neither query nor body', async () => {
    const reply = await app.api('POST', '/tokens/', { token: app.admin.token, tokenInQuery: true })
    expect(reply.status).toBe(400)
    expect(reply.body.errors).toEqual([{ description: 'tokenName', message: 'is required' }])
  })

  it('answers 401 for a bad token, even when password fields are also given', async () => {
    const reply = await app.api('POST', '/tokens', {
      token: 'lk_nope',
      tokenInQuery: true,
      body: { ...passwordFields('admin', 'x'), password: app.admin.password },
    })
    expect(reply.status).toBe(401)
  })
})

describe('DELETE /tokens/{tokenId}', () => {
  it("deletes one of the caller's tokens (204), then 404; 400 for a bad id", async () => {
    const made = await app.api('POST', '/tokens/?tokenName=doomed', {
      token: app.admin.token,
      tokenInQuery: true,
    })
    const other = await app.addUser('acme', 'bystander')
    const path = `/tokens/${made.body.id}`
    expect((await app.api('DELETE', path, { token: other, tokenInQuery: true })).status).toBe(404)
    expect(
      (await app.api('DELETE', path, { token: app.admin.token, tokenInQuery: true })).status,
    ).toBe(204)
    expect(
      (await app.api('DELETE', path, { token: app.admin.token, tokenInQuery: true })).status,
    ).toBe(404)
    expect((await app.api('GET', '/api/tokens', { token: made.body.token })).status).toBe(401)
    const bad = await app.api('DELETE', '/tokens/abc', { token: app.admin.token })
    expect(bad.status).toBe(400)
    expect(bad.body.errors[0].description).toBe('tokenId')
  })
})
