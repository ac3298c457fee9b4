import { execFile } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { ScanCommand } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestApp } from '../support/app.js'
import { instanceRole, signCallerIdentity, startStsStandIn } from '../support/sts.js'

/**
 * Secretless enrollment on AWS, end to end: cloud accounts, then agents enrolling with
 * a signed sts:GetCallerIdentity request, forwarded to a local STS stand-in that checks
 * signatures as STS does.
 */
const A = '111122223333'
const B = '444455556666'
const web = instanceRole(A, 'web-server', 'i-0123456789abcdef0', 'ASIAWEBSERVER')
const db = instanceRole(A, 'db', 'i-0fedcba9876543210', 'ASIADBSERVER')
const stranger = instanceRole(B, 'web-server', 'i-0aaaabbbbccccdddd', 'ASIASTRANGER')
const laptop = instanceRole(A, 'web-server', 'ann@example.com', 'ASIALAPTOP')

let app: Awaited<ReturnType<typeof startTestApp>>
let sts: Awaited<ReturnType<typeof startStsStandIn>>
let admin: string
let member: string

const base = '/v1/teams/acme/projects'
const accounts = (project: string) => `${base}/${project}/cloud_accounts`
const servers = (project: string) => `${base}/${project}/servers`

beforeAll(async () => {
  sts = await startStsStandIn([web, db, stranger, laptop])
  app = await startTestApp('acme', undefined, { env: { LATCHKEY_STS_ENDPOINT: sts.url } })
  admin = app.admin.token
  member = await app.addUser('acme', 'mia', 'member')
  for (const name of ['fleet', 'open', 'empty'])
    await app.api('POST', base, { token: admin, body: { name } })
  const added = await app.api('POST', accounts('fleet'), {
    token: admin,
    body: { provider: 'aws', account_id: A, role_arns: [`arn:aws:iam::${A}:role/web-*`] },
  })
  expect(added.status).toBe(201)
  await app.api('POST', accounts('open'), {
    token: admin,
    body: { provider: 'aws', account_id: A, description: 'any role of the account' },
  })
})
afterAll(async () => {
  await app?.close()
  await sts?.close()
})
beforeEach(() => {
  sts.state.mode = 'ok'
})

const enroll = async (project: string, aws_iam: unknown, hostname = 'web-01') =>
  app.api('POST', servers(project), { body: { hostname, os: 'linux', aws_iam } })
// Each request signed a second apart: the same request signed twice in one second is
// the same signature, which the replay guard (rightly) lets enroll only once.
let signatures = 0
const signed = (identity = web, options: Partial<Parameters<typeof signCallerIdentity>[1]> = {}) =>
  signCallerIdentity(identity, {
    project: 'acme/fleet',
    signingDate: new Date(Date.now() - 1000 * signatures++),
    ...options,
  })
const serverIds = async (project: string) =>
  (await app.api('GET', servers(project), { token: admin })).body.list.map(
    (s: { id: string }) => s.id,
  )
const usedSignatures = async () => {
  const { Items = [] } = await app.db.send(new ScanCommand({ TableName: app.tableName }))
  return Items.filter((item) => String(item.PK).startsWith('AWSSIG#')).length
}

const expect401 = (reply: Awaited<ReturnType<typeof enroll>>) => {
  expect(reply.status).toBe(401)
  expect(reply.body).toEqual({
    code: 'authentication_error',
    message: 'The credentials are missing, invalid, expired or revoked.',
    errors: [],
  })
}

describe('cloud accounts', () => {
  it('registers (201), lists for members, and removes (204) an account', async () => {
    const created = await app.api('POST', accounts('empty'), {
      token: admin,
      body: {
        provider: 'aws',
        account_id: B,
        role_arns: [`arn:aws:iam::${B}:role/fleet/web`, `arn:aws:iam::${B}:role/db-*`],
        description: 'staging',
      },
    })
    expect(created.status).toBe(201)
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/),
      provider: 'aws',
      account_id: B,
      role_arns: [`arn:aws:iam::${B}:role/fleet/web`, `arn:aws:iam::${B}:role/db-*`],
      description: 'staging',
      created_at: expect.stringMatching(/Z$/),
    })
    const listed = await app.api('GET', accounts('empty'), { token: member })
    expect(listed.status).toBe(200)
    expect(listed.body).toEqual({ list: [created.body] })
    const path = `${accounts('empty')}/${created.body.id}`
    expect((await app.api('DELETE', path, { token: admin })).status).toBe(204)
    expect((await app.api('DELETE', path, { token: admin })).status).toBe(404)
    expect((await app.api('GET', accounts('empty'), { token: member })).body).toEqual({ list: [] })
  })

  it.each([
    ['another provider', { provider: 'gcp', account_id: A }, 'provider'],
    ['an 11-digit account', { provider: 'aws', account_id: '11112222333' }, 'account_id'],
    ['no account', { provider: 'aws' }, 'account_id'],
    [
      'a role of another account',
      { provider: 'aws', account_id: A, role_arns: [`arn:aws:iam::${B}:role/web`] },
      'role_arns.0',
    ],
    [
      'a wildcard over a whole role path',
      { provider: 'aws', account_id: A, role_arns: [`arn:aws:iam::${A}:role/teams/*`] },
      'role_arns.0',
    ],
    [
      'a user ARN',
      { provider: 'aws', account_id: A, role_arns: [`arn:aws:iam::${A}:user/ann`] },
      'role_arns.0',
    ],
    ['an unknown field', { provider: 'aws', account_id: A, region: 'eu-west-1' }, 'region'],
  ])('answers 400 for %s, naming the field', async (_, body, field) => {
    const reply = await app.api('POST', accounts('empty'), { token: admin, body })
    expect(reply.status).toBe(400)
    expect(reply.body.errors.map((e: { description: string }) => e.description)).toContain(field)
  })

  it('answers 404 for an unknown project, 403 to a member', async () => {
    const body = { provider: 'aws', account_id: A }
    expect((await app.api('POST', accounts('nope'), { token: admin, body })).status).toBe(404)
    expect((await app.api('GET', accounts('nope'), { token: admin })).status).toBe(404)
    expect((await app.api('POST', accounts('empty'), { token: member, body })).status).toBe(403)
  })
})

describe('secretless enrollment', () => {
  it('enrolls an instance whose role is registered: 201, the server carrying its account and instance', async () => {
    const seen = sts.state.seen
    const reply = await enroll('fleet', await signed())
    expect(reply.status).toBe(201)
    expect(reply.headers.get('cache-control')).toBe('no-store')
    expect(reply.body.server).toMatchObject({
      hostname: 'web-01',
      project_name: 'fleet',
      enrollment_token_id: null,
      cloud_provider: 'aws',
      cloud_account: A,
      instance_id: 'i-0123456789abcdef0',
    })
    expect(sts.state.seen).toBe(seen + 1)
    const { id } = reply.body.server
    const beat = await app.api('POST', `${servers('fleet')}/${id}/heartbeat`, {
      token: reply.body.server_token,
    })
    expect(beat.status).toBe(204)
    expect(await serverIds('fleet')).toContain(id)
  })

  it('accepts a regional endpoint, and any role where the account lists none', async () => {
    const regional = await signed(db, {
      project: 'acme/open',
      url: 'https://sts.eu-west-1.amazonaws.com/',
      region: 'eu-west-1',
    })
    const reply = await enroll('open', regional, 'db-01')
    expect(reply.status).toBe(201)
    expect(reply.body.server.instance_id).toBe('i-0fedcba9876543210')
  })

  it('records no instance id for a session that is not an instance', async () => {
    const reply = await enroll('fleet', await signed(laptop), 'laptop')
    expect(reply.status).toBe(201)
    expect(reply.body.server.instance_id).toBeNull()
  })

  it('enrolls nothing with a replay of a used request, even 10 at once', async () => {
    const request = await signed()
    const before = await serverIds('fleet')
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => enroll('fleet', request, 'twin')),
    )
    expect(replies.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(401)])
    expect401(await enroll('fleet', request, 'again'))
    expect((await serverIds('fleet')).length).toBe(before.length + 1)
  })

  it('refuses an account or a role that is not registered, after asking STS', async () => {
    const seen = sts.state.seen
    expect401(await enroll('fleet', await signed(stranger))) // account B: not registered
    expect401(await enroll('fleet', await signed(db))) // role db: not web-*
    expect401(await enroll('empty', await signed(web, { project: 'acme/empty' })))
    expect(sts.state.seen).toBe(seen + 3)
  })

  it('refuses a tampered body or header: STS finds the signature wrong', async () => {
    const request = await signed()
    const seen = sts.state.seen
    // Still exactly GetCallerIdentity, so it is forwarded; STS refuses the signature.
    expect401(
      await enroll('fleet', { ...request, body: 'Version=2011-06-15&Action=GetCallerIdentity' }),
    )
    const other = await signed(web, { project: 'acme/open' })
    const swapped = { ...other, headers: { ...other.headers, 'x-latchkey-project': 'acme/fleet' } }
    expect401(await enroll('fleet', swapped))
    expect(sts.state.seen).toBe(seen + 2)
  })

  it('refuses with no network call: another URL, action or method, an old date, no project header', async () => {
    const good = await signed()
    const cases: unknown[] = [
      { ...good, url: 'https://evil.example/' },
      { ...good, url: 'http://sts.amazonaws.com/' },
      { ...good, url: 'https://sts.amazonaws.com.evil.example/' },
      { ...good, url: 'https://sts.amazonaws.com:8443/' },
      { ...good, url: 'https://sts.amazonaws.com/?Action=GetCallerIdentity' },
      { ...good, url: 'https://169.254.169.254/' },
      await signed(web, { url: 'https://sts.eu-west-1.amazonaws.com/' }), // signed for us-east-1
      { ...good, method: 'GET' },
      await signed(web, { body: 'Action=AssumeRole&Version=2011-06-15&RoleArn=x' }),
      { ...good, body: 'Action=GetCallerIdentity&Version=2011-06-15&Extra=1' },
      await signed(web, { signingDate: new Date(Date.now() - 20 * 60 * 1000) }),
      await signed(web, { signingDate: new Date(Date.now() + 20 * 60 * 1000) }),
      await signed(web, { withoutProjectHeader: true }),
      await signed(web, { project: 'acme/open' }), // signed for another project
      { ...good, headers: { ...good.headers, authorization: 'Bearer nope' } },
      { ...good, headers: {} },
    ]
    const seen = sts.state.seen
    for (const aws_iam of cases) expect401(await enroll('fleet', aws_iam))
    expect(sts.state.seen).toBe(seen)
  })

  it('answers 503 with Retry-After when STS fails or throttles, and writes nothing', async () => {
    const before = await serverIds('fleet')
    const guards = await usedSignatures()
    for (const mode of ['fail', 'throttle'] as const) {
      sts.state.mode = mode
      const reply = await enroll('fleet', await signed())
      expect(reply.status).toBe(503)
      expect(reply.headers.get('retry-after')).toBe('5')
      expect(reply.body.code).toBe('service_offline')
    }
    expect(await serverIds('fleet')).toEqual(before)
    expect(await usedSignatures()).toBe(guards)
  })

  it('is 400 with both an enrollment token and aws_iam, 401 with a bad Authorization and aws_iam', async () => {
    const token = await app.api('POST', `${base}/fleet/server_enrollment_tokens`, {
      token: admin,
      body: { description: 'both' },
    })
    const aws_iam = await signed()
    const both = await app.api('POST', servers('fleet'), {
      token: token.body.token,
      body: { hostname: 'x', aws_iam },
    })
    expect(both.status).toBe(400)
    expect(both.body.errors[0].description).toBe('aws_iam')
    const seen = sts.state.seen
    expect401(
      await app.api('POST', servers('fleet'), {
        headers: { authorization: 'Basic YTpi' },
        body: { hostname: 'x', aws_iam },
      }),
    )
    expect(sts.state.seen).toBe(seen)
  })

  it('answers 400 naming the field for a malformed aws_iam', async () => {
    const reply = await enroll('fleet', { method: 'POST', url: 'https://sts.amazonaws.com/' })
    expect(reply.status).toBe(400)
    expect(reply.body.errors.map((e: { description: string }) => e.description)).toEqual([
      'aws_iam.headers',
      'aws_iam.body',
    ])
  })

  it('stops enrolling once the account is removed; servers it admitted stay', async () => {
    const created = await app.api('POST', accounts('empty'), {
      token: admin,
      body: { provider: 'aws', account_id: A },
    })
    const first = await enroll('empty', await signed(web, { project: 'acme/empty' }))
    expect(first.status).toBe(201)
    const path = `${accounts('empty')}/${created.body.id}`
    expect((await app.api('DELETE', path, { token: admin })).status).toBe(204)
    expect401(await enroll('empty', await signed(web, { project: 'acme/empty' })))
    expect(await serverIds('empty')).toContain(first.body.server.id)
  })
})

describe("the README's agent script", () => {
  it('enrolls with the instance role from the environment, as on EC2', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8')
    const script = /<!-- agent:begin[^>]*-->\n```js\n([\s\S]*?)```\n<!-- agent:end -->/.exec(
      readme,
    )?.[1]
    expect(script).toContain('GetCallerIdentity')
    // Inside the repository, so the script's imports resolve to its node_modules.
    const dir = new URL('../../bench/out/', import.meta.url)
    await mkdir(dir, { recursive: true })
    const file = new URL('enroll.mjs', dir)
    await writeFile(file, script ?? '')
    // SigV4 dates have whole seconds: the same role signing the same request in the same
    // second as an earlier test makes the same signature, which the replay guard refuses
    // (as it should). Start in a second of its own.
    await new Promise((done) => setTimeout(done, 1100 - (Date.now() % 1000)))
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [file.pathname, app.url, 'acme', 'fleet'],
      {
        env: {
          PATH: process.env.PATH,
          AWS_ACCESS_KEY_ID: web.accessKeyId,
          AWS_SECRET_ACCESS_KEY: web.secretAccessKey,
          AWS_SESSION_TOKEN: web.sessionToken,
        },
      },
    )
    const enrolled = JSON.parse(stdout)
    expect(enrolled.server).toMatchObject({ cloud_account: A, instance_id: web.arn.split('/')[2] })
    expect(enrolled.server_token).toMatch(/^lks_/)
  })
})

describe('tenancy', () => {
  it("never enrolls one project's account into another, nor another team's", async () => {
    await app.addUser('globex', 'root', 'admin')
    const seen = sts.state.seen
    // Signed for fleet, sent to open (where account A is registered too): refused unsent.
    expect401(await enroll('open', await signed()))
    const globex = await app.api('POST', '/v1/teams/globex/projects/fleet/servers', {
      body: { hostname: 'x', aws_iam: await signed() },
    })
    expect401(globex)
    expect(sts.state.seen).toBe(seen)
  })
})

describe('project deletion', () => {
  it("removes the project's cloud accounts with it", async () => {
    await app.api('POST', base, { token: admin, body: { name: 'doomed' } })
    await app.api('POST', accounts('doomed'), {
      token: admin,
      body: { provider: 'aws', account_id: A },
    })
    expect((await app.api('DELETE', `${base}/doomed`, { token: admin })).status).toBe(204)
    // At once: the account admits no one, and the project lists none.
    expect401(await enroll('doomed', await signed(web, { project: 'acme/doomed' })))
    expect((await app.api('GET', accounts('doomed'), { token: admin })).status).toBe(404)
    const { cascadeProjectDelete } = await import('../support/project-delete.js')
    await cascadeProjectDelete('acme', 'doomed')
    const { Items = [] } = await app.db.send(new ScanCommand({ TableName: app.tableName }))
    const left = Items.filter(
      (item) => item.PK === 'TEAM#acme#PROJECT#doomed' && String(item.SK).startsWith('CLOUD'),
    )
    expect(left).toEqual([])
    expect((await app.api('POST', base, { token: admin, body: { name: 'doomed' } })).status).toBe(
      201,
    )
    expect401(await enroll('doomed', await signed(web, { project: 'acme/doomed' })))
  })
})
