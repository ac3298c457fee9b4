import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp } from '../support/app.js'

/**
 * The same username in two teams: `admin` of acme (bootstrapped) and `admin` of evil,
 * both team admins. Each team-scoped credential path must tell them apart by team,
 * not only by username; a check that is missing would otherwise be hidden by a later
 * lookup that happens to find a user of that name in the other team.
 */
let app: Awaited<ReturnType<typeof startTestApp>>
let evil: string
let evilTokenId: string
const EVIL_PASSWORD = 'evil admin password'

beforeAll(async () => {
  app = await startTestApp('acme')
  evil = await app.addUser('evil', 'admin', 'admin')
  evilTokenId = String((await app.api('GET', '/api/tokens', { token: evil })).body.tokens[0].id)
  const { hashPassword } = await import('../../shared/auth/password.js')
  const { updateUser } = await import('../../shared/data/users.js')
  await updateUser('evil', 'admin', { passwordHash: await hashPassword(EVIL_PASSWORD) })
})
afterAll(() => app?.close())

const exchange = (team: string, keyId: string, secret: string) =>
  app.api('POST', `/v1/teams/${team}/service_token`, {
    body: { key_id: keyId, key_secret: secret },
  })

describe('the same username in two teams', () => {
  it("won't exchange evil's admin token for a service token of acme", async () => {
    const reply = await exchange('acme', evilTokenId, evil)
    expect(reply.status).toBe(401)
    expect(reply.body.code).toBe('authentication_error')
    // Its own team's exchange works, and names its own team.
    const own = await exchange('evil', evilTokenId, evil)
    expect(own.status).toBe(200)
    expect(own.body.team_name).toBe('evil')
  })

  it("keeps evil's admin (personal and service token) out of acme's team routes", async () => {
    const bearer = (await exchange('evil', evilTokenId, evil)).body.bearer_token
    for (const token of [evil, bearer]) {
      const create = await app.api('POST', '/v1/teams/acme/projects', {
        token,
        body: { name: 'planted' },
      })
      expect(create.status).toBe(404)
      expect((await app.api('GET', '/v1/teams/acme/projects', { token })).status).toBe(404)
    }
    const list = await app.api('GET', '/v1/teams/acme/projects', { token: app.admin.token })
    expect(list.body.list).toEqual([])
  })

  it("lists and deletes only the caller's own personal tokens", async () => {
    // acme's admin gets tokens with ids evil's admin doesn't have.
    const made: number[] = []
    for (const name of ['acme-2', 'acme-3']) {
      const reply = await app.api('POST', '/api/tokens', { token: app.admin.token, body: { name } })
      made.push(reply.body.token.id)
    }
    const evilList = await app.api('GET', '/api/tokens', { token: evil })
    expect(evilList.body.tokens.map((t: { name: string }) => t.name)).toEqual(['first'])
    for (const id of made) {
      expect((await app.api('DELETE', `/api/tokens/${id}`, { token: evil })).status).toBe(404)
      expect((await app.api('DELETE', `/tokens/${id}`, { token: evil })).status).toBe(404)
    }
    const acmeList = await app.api('GET', '/api/tokens', { token: app.admin.token })
    expect(acmeList.body.tokens.map((t: { id: number }) => t.id)).toEqual(
      expect.arrayContaining(made),
    )
  })

  it('grants a token by password only for the account whose password it is', async () => {
    const grant = (accountName: string, password: string) =>
      app.api('POST', '/tokens', {
        body: { username: 'admin', password, accountName, tokenName: `by-${accountName}` },
      })
    const crossed = await grant('acme', EVIL_PASSWORD)
    expect(crossed.status).toBe(401)
    const own = await grant('evil', EVIL_PASSWORD)
    expect(own.status).toBe(200)
    expect(own.body).toMatchObject({ accountName: 'evil', username: 'admin' })
    // And the token grant makes a token for the caller's own team.
    const byToken = await app.api('POST', '/tokens', {
      token: evil,
      body: { tokenName: 'by-token' },
    })
    expect(byToken.status).toBe(200)
    expect(byToken.body.accountName).toBe('evil')
  })
})
