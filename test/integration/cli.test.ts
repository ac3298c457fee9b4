import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp } from '../support/app.js'
import { latchkey } from '../support/cli.js'

/** The admin CLI end to end, on this file's table in DynamoDB Local, served by the app. */
let app: Awaited<ReturnType<typeof startTestApp>>
let env: Record<string, string>

beforeAll(async () => {
  app = await startTestApp('acme')
  env = { DYNAMODB_ENDPOINT: String(process.env.DYNAMODB_ENDPOINT), TABLE_NAME: app.tableName }
})
afterAll(() => app?.close())

const run = (args: string[], stdin?: string) => latchkey(args, env, stdin)

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
    expect(token.stdout).toMatch(/^lk_\w+\n$/) // only the token, for $(...)
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

  it.each([
    [['team', 'create', 'acme'], 1, 'team "acme" already exists'],
    [['user', 'create', 'nowhere', 'x'], 1, 'no team "nowhere"'],
    [['user', 'create', 'acme', 'admin'], 1, 'user "admin" already exists in team "acme"'],
    [['user', 'role', 'acme', 'ghost', 'admin'], 1, 'no user "ghost" in team "acme"'],
    [['user', 'role', 'acme', 'admin', 'root'], 2, 'the role must be admin or member'],
    [['user', 'mfa', 'acme', 'admin', 'maybe'], 2, 'the MFA setting must be on or off'],
    [['project', 'create', 'acme', 'Bad Name'], 2, 'project "Bad Name" must be 1 to 63'],
    [['token', 'create', 'acme', 'admin', 'initial admin token'], 1, 'already exists'],
    [['token', 'create', 'acme', 'admin', 'x'.repeat(51)], 2, 'token name must be 1 to 50'],
    [['token', 'create', 'acme', 'admin'], 2, 'usage: npm run -s latchkey -- token create'],
    [['user', 'set-password', 'acme', 'admin'], 2, '--password-stdin is required'],
    [['team', 'create', 'x', '--colour'], 2, "Unknown option '--colour'"],
    [['team', 'destroy', 'acme'], 2, '"team" takes create, not "destroy"'],
    [['launch'], 2, 'unknown command "launch"'],
  ])('refuses %j with exit %i and a clear message', async (args, code, message) => {
    const result = await run(args, 'short')
    expect(result.code).toBe(code)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain(message)
    expect(result.stderr).not.toMatch(/\n\s+at /) // no stack trace
  })

  it('refuses a password shorter than 8 characters before touching the store', async () => {
    const result = await run(['user', 'create', 'acme', 'shorty', '--password-stdin'], 'short')
    expect(result).toMatchObject({ code: 2 })
    expect(result.stderr).toContain('the password must be 8 to 1024 characters')
    expect((await run(['token', 'create', 'acme', 'shorty', 'x'])).code).toBe(1)
  })

  it('prints help for the whole CLI and for every command', async () => {
    const overview = await run(['--help'])
    expect(overview.code).toBe(0)
    const { commands } = await import('../../cli/commands.js')
    for (const command of commands) {
      expect(overview.stdout).toContain(command.words.join(' '))
      const help = await run([...command.words, '--help'])
      expect(help.code).toBe(0)
      expect(help.stdout).toContain(`usage: npm run -s latchkey -- ${command.words.join(' ')}`)
    }
  })
})
