import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { startTestApp } from '../support/app.js'
import { latchkey, latchkeyInProcess as run } from '../support/cli.js'

/**
 * The admin CLI end to end, on this file's table in DynamoDB Local, served by the app.
 * Most cases run the CLI in this process (its `runCli`, the same code the process
 * runs); a few start the real process through the launcher.
 */
let app: Awaited<ReturnType<typeof startTestApp>>
let env: Record<string, string>

beforeAll(async () => {
  app = await startTestApp('acme')
  env = { DYNAMODB_ENDPOINT: inject('dynamoEndpoint'), TABLE_NAME: app.tableName }
})
afterAll(() => app?.close())

describe('the admin CLI as a process (the bundle npm run latchkey runs)', () => {
  it('creates a token the service accepts, printing only the token on stdout', async () => {
    const token = await latchkey(['token', 'create', 'acme', 'admin', 'from the cli'], env)
    expect(token).toMatchObject({ code: 0, stderr: '' })
    expect(token.stdout).toMatch(/^lk_\w+\n$/) // only the token, for $(...)
    const listed = await app.api('GET', '/api/tokens', { token: token.stdout.trim() })
    expect(listed.status).toBe(200)
  })

  it('says there is no store instead of creating one, and rotates keys without a table', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'latchkey-cli-empty-'))
    try {
      const result = await latchkey(['team', 'list'], { LATCHKEY_DATA_DIR: empty })
      expect(result.code).toBe(1)
      expect(result.stderr).toBe(
        `latchkey: no store in ${empty}: run npm start once to create it, or set LATCHKEY_DATA_DIR (or DYNAMODB_ENDPOINT + TABLE_NAME)\n`,
      )
      expect(await readdir(empty)).toEqual([]) // nothing created
      // keys rotate needs the key file alone: no TABLE_NAME, no AWS_REGION.
      const rotate = await latchkey(['keys', 'rotate'], {
        LATCHKEY_DATA_DIR: empty,
        AWS_REGION: undefined,
      })
      expect(rotate.stderr).toContain(`no key file at ${join(empty, 'jwt-keys.json')}`)
      expect(rotate.stderr).not.toContain('Configuration')
    } finally {
      await rm(empty, { recursive: true, force: true })
    }
  })
})

describe('the admin CLI', () => {
  it('sets up a team, users, a project and a token that the service accepts', async () => {
    expect(await run(['team', 'create', 'cli-co'])).toMatchObject({
      code: 0,
      stderr: 'Created team "cli-co".\n',
    })
    const admin = await run(
      ['user', 'create', 'cli-co', 'ann', '--role', 'admin', '--password-stdin'],
      'a long enough password\n',
    )
    expect(admin).toMatchObject({ code: 0, stdout: '' })
    expect((await run(['user', 'create', 'cli-co', 'ben'])).code).toBe(0)
    expect((await run(['project', 'create', 'cli-co', 'web'])).code).toBe(0)

    const token = await run(['token', 'create', 'cli-co', 'ann', 'from the cli'])
    expect(token.code).toBe(0)
    expect(token.stdout).toMatch(/^lk_\w+\n$/)
    const listed = await app.api('GET', '/v1/teams/cli-co/projects', {
      token: token.stdout.trim(),
    })
    expect(listed.body.list.map((p: { name: string }) => p.name)).toEqual(['web'])

    // The password set through stdin works for the Server Density grant.
    const granted = await app.api('POST', '/tokens', {
      body: {
        username: 'ann',
        password: 'a long enough password',
        accountName: 'cli-co',
        tokenName: 'by password',
      },
    })
    expect(granted.status).toBe(200)
  })

  it('changes role, MFA and password, and the service sees each change', async () => {
    await run(['team', 'create', 'flip'])
    await run(['user', 'create', 'flip', 'cat'], 'first password')
    const token = (await run(['token', 'create', 'flip', 'cat', 't'])).stdout.trim()
    const create = () =>
      app.api('POST', '/v1/teams/flip/projects', { token, body: { name: `p${Date.now()}` } })
    expect((await create()).status).toBe(403)
    expect((await run(['user', 'role', 'flip', 'cat', 'admin'])).code).toBe(0)
    expect((await create()).status).toBe(201)

    const grant = (password: string) =>
      app.api('POST', '/tokens', {
        body: { username: 'cat', password, accountName: 'flip', tokenName: `g${Math.random()}` },
      })
    expect(
      (await run(['user', 'set-password', 'flip', 'cat', '--password-stdin'], 'new password 1'))
        .code,
    ).toBe(0)
    expect((await grant('new password 1')).status).toBe(200)
    expect((await run(['user', 'mfa', 'flip', 'cat', 'on'])).code).toBe(0)
    expect((await grant('new password 1')).status).toBe(403)
    expect((await run(['user', 'mfa', 'flip', 'cat', 'off'])).code).toBe(0)
    expect((await grant('new password 1')).status).toBe(200)
  })

  it('lists teams, users, projects and tokens (metadata only) and revokes a token by id', async () => {
    await run(['team', 'create', 'lists'])
    await run(
      ['user', 'create', 'lists', 'dan', '--role', 'admin', '--password-stdin'],
      'dans pass 1',
    )
    await run(['user', 'create', 'lists', 'eve'])
    await run(['project', 'create', 'lists', 'alpha'])
    const first = (await run(['token', 'create', 'lists', 'dan', 'one'])).stdout.trim()
    const second = (await run(['token', 'create', 'lists', 'dan', 'two'])).stdout.trim()

    const teams = await run(['team', 'list'])
    expect(teams.code).toBe(0)
    expect(teams.stdout.split('\n').map((line) => line.split(' ')[0])).toEqual(
      expect.arrayContaining(['team', 'acme', 'cli-co', 'flip', 'lists']),
    )
    const users = (await run(['user', 'list', 'lists'])).stdout.split('\n')
    expect(users[0]).toMatch(/^user +role +password +mfa +created$/)
    expect(users[1]).toMatch(/^dan +admin +set +off +\d{4}-/)
    expect(users[2]).toMatch(/^eve +member +none +off +\d{4}-/)
    expect((await run(['project', 'list', 'lists'])).stdout).toMatch(
      /^project +created +by\nalpha +\S+ +cli\n$/,
    )

    const tokens = await run(['token', 'list', 'lists', 'dan'])
    expect(tokens.stdout).toMatch(
      /^id +name +created +last used +expires\n1 +one +\S+ +- +-\n2 +two /,
    )
    for (const secret of [first, second, first.slice(-20), second.slice(-20)])
      expect(tokens.stdout).not.toContain(secret)

    expect(await run(['token', 'revoke', 'lists', 'dan', '1'])).toMatchObject({
      code: 0,
      stderr: 'Revoked token 1 of user "dan" in team "lists".\n',
    })
    expect((await app.api('GET', '/api/tokens', { token: first })).status).toBe(401)
    expect((await app.api('GET', '/api/tokens', { token: second })).status).toBe(200)
  })

  it('lists and deletes enrollment tokens and servers; a deleted server is revoked', async () => {
    await run(['team', 'create', 'fleet'])
    await run(['user', 'create', 'fleet', 'ops', '--role', 'admin'])
    await run(['project', 'create', 'fleet', 'web'])
    const token = (await run(['token', 'create', 'fleet', 'ops', 'ops'])).stdout.trim()
    const base = '/v1/teams/fleet/projects/web'
    const enrollment = await app.api('POST', `${base}/server_enrollment_tokens`, {
      token,
      body: { description: 'web servers', max_uses: 3 },
    })
    expect(enrollment.status).toBe(201)
    const enrolled = await app.api('POST', `${base}/servers`, {
      token: enrollment.body.token,
      body: { hostname: 'web-01', os: 'linux' },
    })
    expect(enrolled.status).toBe(201)
    const serverId = enrolled.body.server.id

    const listedTokens = await run(['enrollment-token', 'list', 'fleet', 'web'])
    expect(listedTokens.stdout).toMatch(
      new RegExp(
        `^id +description +uses +max uses +expires +created +by\\n${enrollment.body.id} +web servers +1 +3 +- +\\S+ +ops\\n$`,
      ),
    )
    expect(listedTokens.stdout).not.toContain(enrollment.body.token) // no token value
    const servers = await run(['server', 'list', 'fleet', 'web'])
    expect(servers.stdout).toMatch(new RegExp(`\\n${serverId} +web-01 +linux +\\S+ +-\\n$`))

    expect((await run(['server', 'delete', 'fleet', 'web', serverId])).code).toBe(0)
    const beat = await app.api('POST', `${base}/servers/${serverId}/heartbeat`, {
      token: enrolled.body.server_token,
    })
    expect(beat.body.code).toBe('server_authorization_revoked')
    expect(
      (await run(['enrollment-token', 'delete', 'fleet', 'web', enrollment.body.id])).code,
    ).toBe(0)
    const again = await app.api('POST', `${base}/servers`, {
      token: enrollment.body.token,
      body: { hostname: 'web-02' },
    })
    expect(again.status).toBe(401)
    expect((await run(['server', 'list', 'fleet', 'web'])).stdout).toMatch(/^id +hostname[^\n]*\n$/)
    expect(await run(['server', 'delete', 'fleet', 'web', serverId])).toMatchObject({
      code: 1,
      stderr: `latchkey: no server ${serverId} in project "web" of team "fleet"\n`,
    })
  })

  it('deletes a user with their tokens, and a team with everything in it', async () => {
    await run(['team', 'create', 'gone'])
    await run(['user', 'create', 'gone', 'amy', '--role', 'admin'])
    await run(['user', 'create', 'gone', 'bob'])
    const amy = (await run(['token', 'create', 'gone', 'amy', 'a'])).stdout.trim()
    const bob = (await run(['token', 'create', 'gone', 'bob', 'b'])).stdout.trim()
    await run(['project', 'create', 'gone', 'p1'])

    expect(await run(['user', 'delete', 'gone', 'bob'])).toMatchObject({
      code: 0,
      stderr: 'Deleted user "bob" of team "gone" and 1 personal token(s).\n',
    })
    expect((await app.api('GET', '/api/tokens', { token: bob })).status).toBe(401)
    expect((await run(['user', 'list', 'gone'])).stdout).not.toMatch(/\nbob /)
    expect((await run(['token', 'create', 'gone', 'bob', 'again'])).code).toBe(1)

    expect(await run(['team', 'delete', 'gone'])).toMatchObject({
      code: 0,
      stderr: 'Deleted team "gone": 1 user(s), 1 project(s).\n',
    })
    expect((await app.api('GET', '/api/tokens', { token: amy })).status).toBe(401)
    expect((await run(['team', 'list'])).stdout).not.toMatch(/\ngone /)
    expect(await run(['project', 'list', 'gone'])).toMatchObject({
      code: 1,
      stderr: 'latchkey: no team "gone"\n',
    })
    expect((await run(['team', 'delete', 'gone'])).code).toBe(1)
  })

  it.each([
    [['team', 'create', 'acme'], 1, 'team "acme" already exists'],
    [['user', 'create', 'nowhere', 'x'], 1, 'no team "nowhere"'],
    [['user', 'create', 'acme', 'admin'], 1, 'user "admin" already exists in team "acme"'],
    [['user', 'role', 'acme', 'ghost', 'admin'], 1, 'no user "ghost" in team "acme"'],
    [['user', 'role', 'acme', 'admin', 'root'], 2, 'the role must be admin or member'],
    [['user', 'mfa', 'acme', 'admin', 'maybe'], 2, 'the MFA setting must be on or off'],
    [['user', 'delete', 'acme', 'ghost'], 1, 'no user "ghost" in team "acme"'],
    [['user', 'list', 'nowhere'], 1, 'no team "nowhere"'],
    [['project', 'create', 'acme', 'Bad Name'], 2, 'project "Bad Name" must be 1 to 63'],
    [['project', 'delete', 'acme', 'ghost'], 1, 'no project "ghost" in team "acme"'],
    [['token', 'create', 'acme', 'admin', 'initial admin token'], 1, 'already exists'],
    [['token', 'create', 'acme', 'admin', 'x'.repeat(51)], 2, 'token name must be 1 to 50'],
    [['token', 'create', 'acme', 'admin'], 2, 'usage: npm run -s latchkey -- token create'],
    [['token', 'revoke', 'acme', 'admin', '0'], 2, 'the token id must be a positive whole number'],
    [['token', 'revoke', 'acme', 'admin', '999'], 1, 'no token 999 of user "admin"'],
    [['token', 'list', 'acme', 'ghost'], 1, 'no user "ghost" in team "acme"'],
    [['server', 'delete', 'acme', 'web', 'nope'], 2, 'the server id must be a UUID'],
    [['server', 'list', 'acme', 'ghost'], 1, 'no project "ghost" in team "acme"'],
    [['enrollment-token', 'list', 'acme', 'ghost'], 1, 'no project "ghost" in team "acme"'],
    [
      ['enrollment-token', 'delete', 'acme', 'ghost', '0193a0a0-0000-7000-8000-000000000001'],
      1,
      'no project "ghost" in team "acme"',
    ],
    [['user', 'set-password', 'acme', 'admin'], 2, '--password-stdin is required'],
    [['team', 'create', 'x', '--colour'], 2, "Unknown option '--colour'"],
    [['team', 'destroy', 'acme'], 2, '"team" takes create, list, delete, tokens, not "destroy"'],
    [['launch'], 2, 'unknown command "launch"'],
    [['policy', 'set', 'acme', '--max-tokens-per-user', '1001'], 2, '--max-tokens-per-user 1-1000'],
    [['policy', 'set', 'acme', '--inactive-days', 'soon'], 2, '--inactive-days must be a whole'],
    [['policy', 'show', 'ghost'], 1, 'no team "ghost"'],
    [
      ['team', 'tokens', 'acme', '--expiring-within-days', '0'],
      2,
      '--expiring-within-days must be a whole number from 1 to 3999, not "0"',
    ],
    [['team', 'tokens', 'acme', '--user', 'Ann'], 2, '--user must be 1 to 63'],
    [['team', 'tokens', 'acme', '--count', '1001'], 2, '--count must be a whole number'],
    [['team', 'tokens', 'ghost'], 1, 'no team "ghost"'],
    [['team', 'tokens', 'acme', '--offset', 'garbage'], 1, 'The offset is not a cursor'],
    [['audit', 'list', 'acme', '--since', 'yesterday'], 2, '--since must be an ISO-8601 UTC'],
    [['audit', 'list', 'acme', '--since', '2026-02-30T00:00:00Z'], 1, 'since is not a valid'],
    [['audit', 'list', 'acme', '--type', 'token deleted'], 2, '--type must be an event type'],
    [['audit', 'list', 'ghost'], 1, 'no team "ghost"'],
  ])('refuses %j with exit %i and a clear message', async (args, code, message) => {
    const result = await run(args, 'short')
    expect(result.code).toBe(code)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain(message)
    expect(result.stderr.split('\n')).toHaveLength(2) // one line, no stack trace
  })

  it("lists the team's tokens as the admin view does, filtered and paged, and revokes as the operator", async () => {
    await run(['team', 'create', 'view'])
    await run(['user', 'create', 'view', 'vic', '--role', 'admin'])
    await run(['user', 'create', 'view', 'val'])
    const soon = (await run(['token', 'create', 'view', 'val', 'soon', '--expires-in-days', '3']))
      .stdout
    await run(['token', 'create', 'view', 'vic', 'later', '--expires-in-days', '30'])
    await run(['token', 'create', 'view', 'vic', 'never'])
    const all = await run(['team', 'tokens', 'view'])
    expect(all).toMatchObject({ code: 0, stderr: '' })
    const lines = all.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^id +user +name +scopes +created +last used +expires$/)
    // Soonest expiring first, never-expiring last; metadata only.
    expect(lines.slice(1).map((line) => line.split(/ +/).slice(0, 3))).toEqual([
      ['1', 'val', 'soon'],
      ['1', 'vic', 'later'],
      ['2', 'vic', 'never'],
    ])
    expect(all.stdout).not.toContain(soon.trim().slice(-20))
    // The route's own answer, row for row.
    const api = await app.api('GET', '/v1/teams/view/tokens', {
      token: (await run(['token', 'create', 'view', 'vic', 'api'])).stdout.trim(),
    })
    expect(api.body.list.slice(0, 3).map((t: { name: string }) => t.name)).toEqual([
      'soon',
      'later',
      'never',
    ])

    const within = await run(['team', 'tokens', 'view', '--expiring-within-days', '7'])
    expect(within.stdout.trimEnd().split('\n').slice(1)).toEqual([
      expect.stringMatching(/^1 +val +soon +\(any\) +\S+ +- +\d{4}-/),
    ])
    const vics = await run(['team', 'tokens', 'view', '--user', 'vic', '--count', '2'])
    expect(
      vics.stdout
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((line) => line.split(/ +/)[2]),
    ).toEqual(['later', 'never'])
    const more = /^more: --offset (\S+)\n$/.exec(vics.stderr)
    expect(more).not.toBeNull()
    const next = await run([
      'team',
      'tokens',
      'view',
      '--user',
      'vic',
      '--count',
      '2',
      '--offset',
      more?.[1] ?? '',
    ])
    expect(next).toMatchObject({ code: 0, stderr: '' })
    expect(
      next.stdout
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((line) => line.split(/ +/)[2]),
    ).toEqual(['api'])
    // A cursor of one user's list is no cursor of another's.
    const other = await run([
      'team',
      'tokens',
      'view',
      '--user',
      'val',
      '--offset',
      more?.[1] ?? '',
    ])
    expect(other.code).toBe(1)
    expect(other.stderr).toContain('The offset is not a cursor this list gave out.')

    // An admin's revocation, through the route's own function.
    expect(await run(['token', 'revoke', 'view', 'val', '1'])).toMatchObject({
      code: 0,
      stderr: 'Revoked token 1 of user "val" in team "view".\n',
    })
    expect((await app.api('GET', '/api/tokens', { token: soon.trim() })).status).toBe(401)
    expect((await run(['team', 'tokens', 'view', '--user', 'val'])).stdout).toMatch(
      /^id +user +name +scopes +created +last used +expires\n$/,
    )
    expect((await run(['token', 'revoke', 'view', 'val', '1'])).stderr).toBe(
      'latchkey: no token 1 of user "val" in team "view"\n',
    )
  })

  it('reads the audit trail the stream keeps, filtered by type, actor and since, and paged', async () => {
    const { auditingSink } = await import('../../shared/events/audit.js')
    const { startStreamPoller } = await import('../../local/stream-poller.js')
    const poller = await startStreamPoller({
      dynamo: app.sdk,
      tableName: app.tableName,
      sink: auditingSink({ put: async (batch) => batch.map(() => 'accepted' as const) }, 400),
      intervalMs: 50,
    })
    try {
      const before = new Date(Date.now() - 1000).toISOString()
      await run(['team', 'create', 'trail'])
      await run(['user', 'create', 'trail', 'tia', '--role', 'admin'])
      for (const name of ['a', 'b', 'c']) await run(['token', 'create', 'trail', 'tia', name])
      await run(['token', 'revoke', 'trail', 'tia', '2'])
      const deleted = ['audit', 'list', 'trail', '--type', 'AccessTokenDeleted', '--actor', 'cli']
      for (let i = 0; i < 200 && !(await run(deleted)).stdout.includes('cli'); i++)
        await new Promise((resolve) => setTimeout(resolve, 50))
      const one = await run(deleted)
      expect(one).toMatchObject({ code: 0, stderr: '' })
      const rows = one.stdout.trimEnd().split('\n')
      expect(rows[0]).toMatch(/^time +type +actor +detail$/)
      expect(rows.slice(1)).toEqual([
        expect.stringMatching(
          /^\d{4}-\S+Z +AccessTokenDeleted +cli +\{"user":"tia","token_id":2\}$/,
        ),
      ])
      // Newest first, a page at a time; the whole trail since the test began.
      for (let i = 0; i < 200; i++) {
        const all = await run(['audit', 'list', 'trail', '--since', before])
        if (all.stdout.trimEnd().split('\n').length >= 5) break
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      const first = await run(['audit', 'list', 'trail', '--since', before, '--count', '2'])
      const types = (text: string) =>
        text
          .trimEnd()
          .split('\n')
          .slice(1)
          .map((line) => line.split(/ +/)[1])
      expect(types(first.stdout)).toEqual(['AccessTokenDeleted', 'AccessTokenCreated'])
      const cursor = /^more: --offset (\S+)\n$/.exec(first.stderr)?.[1] ?? ''
      const second = await run([
        'audit',
        'list',
        'trail',
        '--since',
        before,
        '--count',
        '2',
        '--offset',
        cursor,
      ])
      expect(types(second.stdout)).toEqual(['AccessTokenCreated', 'AccessTokenCreated'])
      const later = await run([
        'audit',
        'list',
        'trail',
        '--since',
        new Date(Date.now() + 60_000).toISOString(),
      ])
      expect(later.stdout).toMatch(/^time +type +actor +detail\n$/)
    } finally {
      await poller.stop()
    }
  })

  it("shows and sets the team's token policy, which the API then enforces", async () => {
    const shown = await run(['policy', 'show', 'acme'])
    expect(shown.code).toBe(0)
    expect(JSON.parse(shown.stdout)).toEqual({
      maxLifetimeDays: null,
      maxTokensPerUser: 1000,
      allowedScopes: null,
      inactiveDays: null,
    })
    const set = await run([
      'policy',
      'set',
      'acme',
      '--max-lifetime-days',
      '7',
      '--allowed-scopes',
      'tokens:read,orders:read',
    ])
    expect(set.code).toBe(0)
    const policy = {
      maxLifetimeDays: 7,
      maxTokensPerUser: 1000,
      allowedScopes: ['tokens:read', 'orders:read'],
      inactiveDays: null,
    }
    expect(JSON.parse(set.stdout)).toEqual(policy)
    const api = await app.api('GET', '/v1/teams/acme/token_policy', { token: app.admin.token })
    expect(api.body).toEqual(policy)
    const refused = await run(['token', 'create', 'acme', 'admin', 'no expiry'])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('expire within 7 days (maxLifetimeDays)')
    expect(
      (await run(['token', 'create', 'acme', 'admin', 'week', '--expires-in-days', '7'])).code,
    ).toBe(0)
    // back to the defaults for the other cases
    expect(JSON.parse((await run(['policy', 'set', 'acme'])).stdout).maxLifetimeDays).toBe(null)
  })

  it('registers, lists and removes cloud accounts the service then honours', async () => {
    const role = 'arn:aws:iam::111122223333:role/web-*'
    const added = await run([
      'cloud-account',
      'add',
      'acme',
      'fleet-cli',
      '111122223333',
      '--roles',
      role,
    ])
    expect(added.code).toBe(1) // no such project yet
    expect(added.stderr).toContain('The project does not exist.')
    await run(['project', 'create', 'acme', 'fleet-cli'])
    const created = await run([
      'cloud-account',
      'add',
      'acme',
      'fleet-cli',
      '111122223333',
      '--roles',
      role,
    ])
    expect(created.code).toBe(0)
    const id = created.stdout.trim()
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    const listed = await app.api('GET', '/v1/teams/acme/projects/fleet-cli/cloud_accounts', {
      token: app.admin.token,
    })
    expect(listed.body.list).toEqual([expect.objectContaining({ id, role_arns: [role] })])
    expect((await run(['cloud-account', 'list', 'acme', 'fleet-cli'])).stdout).toBe(
      `${id}\t111122223333\t${role}\n`,
    )
    const other = await run(['cloud-account', 'add', 'acme', 'fleet-cli', '1111', '--roles', role])
    expect(other.code).toBe(2)
    const foreign = await run([
      'cloud-account',
      'add',
      'acme',
      'fleet-cli',
      '444455556666',
      '--roles',
      role,
    ])
    expect(foreign).toMatchObject({ code: 1 })
    expect(foreign.stderr).toContain('role_arns.0 names another account than account_id')
    expect((await run(['cloud-account', 'remove', 'acme', 'fleet-cli', id])).code).toBe(0)
    expect((await run(['cloud-account', 'remove', 'acme', 'fleet-cli', id])).code).toBe(1)
  })

  it('refuses a password shorter than 8 characters before touching the store', async () => {
    const result = await run(['user', 'create', 'acme', 'shorty', '--password-stdin'], 'short')
    expect(result).toMatchObject({ code: 2 })
    expect(result.stderr).toContain('the password must be 8 to 1024 characters')
    expect((await run(['token', 'create', 'acme', 'shorty', 'x'])).code).toBe(1)
  })

  it('prints help for the whole CLI, every group and every command', async () => {
    const overview = await run(['--help'])
    expect(overview.code).toBe(0)
    const { commands, groups } = await import('../../cli/commands.js')
    for (const group of groups) {
      const help = await run([group, '--help'])
      expect(help.code, group).toBe(0)
      expect(help.stdout).toContain(`usage: npm run -s latchkey -- ${group} <`)
      expect((await run([group])).code).toBe(2) // a group alone: its help, as a usage error
    }
    for (const command of commands) {
      expect(overview.stdout).toContain(command.words.join(' '))
      const help = await run([...command.words, '--help'])
      expect(help.code).toBe(0)
      expect(help.stdout).toContain(`usage: npm run -s latchkey -- ${command.words.join(' ')}`)
    }
  })
})
