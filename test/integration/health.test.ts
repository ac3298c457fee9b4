import { Agent, request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { routeList } from '../../shared/routes.js'
import { startTestApp } from '../support/app.js'

/** GET /healthz, HEAD on every GET route, and idle connections kept open. */
let app: Awaited<ReturnType<typeof startTestApp>>

beforeAll(async () => {
  app = await startTestApp('acme')
})
afterAll(() => app?.close())

describe('GET /healthz', () => {
  it('answers status and version, with no credential, no secret and no table', async () => {
    const { version } = (await import('../../package.json', { with: { type: 'json' } })).default
    const reply = await app.api('GET', '/healthz')
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual({ status: 'ok', version })
    expect(reply.headers.get('cache-control')).toBe('no-store')
    // Declared with no table action: the local IAM emulation fails any call it makes.
    expect(routeList.find((r) => r.path === '/healthz')?.table).toEqual([])
  })
})

describe('HEAD', () => {
  const head = (path: string, token?: string) =>
    fetch(new URL(path, app.url), {
      method: 'HEAD',
      headers: token ? { authorization: `Bearer ${token}` } : {},
    })

  it.each([
    ['/healthz', 200],
    ['/.well-known/jwks.json', 200],
    ['/api/tokens', 200],
    ['/v1/teams/acme/projects', 200],
    ['/v1/teams/acme/projects/nope', 404],
  ])('HEAD %s answers like GET (%i), without a body', async (path, status) => {
    // Once first: the first use of a token records lastUsed, which changes the token list.
    await app.api('GET', path, { token: app.admin.token })
    const get = await app.api('GET', path, { token: app.admin.token })
    const reply = await head(path, app.admin.token)
    expect(get.status).toBe(status)
    expect(reply.status).toBe(status)
    expect(await reply.text()).toBe('')
    expect(reply.headers.get('content-type')).toBe(get.headers.get('content-type'))
    expect(Number(reply.headers.get('content-length'))).toBe(Buffer.byteLength(get.text))
  })

  it('is 401 without a credential, and 405 on a path with no GET', async () => {
    expect((await head('/api/tokens')).status).toBe(401)
    const reply = await head('/api/tokens/delete-all')
    expect(reply.status).toBe(405)
    expect(await reply.text()).toBe('')
  })

  it('is served on every GET route of the table (the router maps HEAD to GET)', async () => {
    for (const route of routeList.filter((r) => r.method === 'GET')) {
      const path = route.path.replace(/\{[^}]+\}/g, 'x')
      expect((await head(path)).status, route.path).not.toBe(405)
    }
  })
})

describe('idle connections', () => {
  it("stay open past common clients' 5 s keep-alive, so a reused connection works", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, timeout: 60_000 })
    const get = () =>
      new Promise<{ status?: number; reused: boolean }>((resolve, reject) => {
        const req = httpRequest(new URL('/healthz', app.url), { agent }, (res) => {
          res.resume()
          res.on('end', () => resolve({ status: res.statusCode, reused: req.reusedSocket }))
        })
        req.on('error', reject)
        req.end()
      })
    expect(await get()).toEqual({ status: 200, reused: false })
    await new Promise((resolve) => setTimeout(resolve, 5_500))
    expect(await get()).toEqual({ status: 200, reused: true })
    agent.destroy()
  })
})
