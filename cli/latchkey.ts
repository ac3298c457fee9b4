/**
 * `npm run -s latchkey -- <command>`: the admin CLI. It works on the same store as
 * `npm start`, whether or not the service is running; see `--help`.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { NAME_PATTERN, NAME_RULE } from '../shared/names.js'
import { CreateAccessTokenBody } from '../shared/schemas/validators.gen.js'
import type { CliError } from './actions.js'
import { type Command, commands, helpOf, overview } from './commands.js'
import { openStore } from './open-store.js'

class UsageError extends Error {
  override name = 'UsageError'
}

const name = (what: string, value: string) => {
  if (!NAME_PATTERN.test(value)) throw new UsageError(`${what} "${value}" must be ${NAME_RULE}`)
  return value
}

const oneOf = <T extends string>(what: string, value: string, allowed: readonly T[]): T => {
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`${what} must be ${allowed.join(' or ')}, not "${value}"`)
  return value as T
}

/** Token names follow the API's own rule: the same compiled schema decides. */
const tokenName = (value: string) => {
  if (!CreateAccessTokenBody.validate({ name: value }))
    throw new UsageError('the token name must be 1 to 50 characters, without control characters')
  return value
}

async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError('pipe the password in: it is read from stdin')
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  const password = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '')
  if (password.length < 8 || password.length > 1024)
    throw new UsageError('the password must be 8 to 1024 characters')
  return password
}

type Values = Record<string, string | boolean | undefined>

/** Checks every argument before the store opens, then does the work. */
async function prepare(command: Command, args: string[], values: Values) {
  const [first = '', second = '', third = ''] = args
  const actions = () => import('./actions.js')
  switch (`${command.words[0]} ${command.words[1]}`) {
    case 'team create': {
      const team = name('team', first)
      return async () => (await actions()).createTeam(team)
    }
    case 'user create': {
      const [team, username] = [name('team', first), name('username', second)]
      const role = oneOf('--role', String(values.role ?? 'member'), ['admin', 'member'] as const)
      const password = values['password-stdin'] ? await readPassword() : undefined
      const mfaEnabled = values.mfa === true
      return async () =>
        (await actions()).createUser(team, username, { role, password, mfaEnabled })
    }
    case 'user set-password': {
      const [team, username] = [name('team', first), name('username', second)]
      if (!values['password-stdin']) throw new UsageError('--password-stdin is required')
      const password = await readPassword()
      return async () => (await actions()).setPassword(team, username, password)
    }
    case 'user mfa': {
      const [team, username] = [name('team', first), name('username', second)]
      const mfaEnabled = oneOf('the MFA setting', third, ['on', 'off'] as const) === 'on'
      return async () => (await actions()).changeUser(team, username, { mfaEnabled })
    }
    case 'user role': {
      const [team, username] = [name('team', first), name('username', second)]
      const role = oneOf('the role', third, ['admin', 'member'] as const)
      return async () => (await actions()).changeUser(team, username, { role })
    }
    case 'project create': {
      const [team, project] = [name('team', first), name('project', second)]
      return async () => (await actions()).createProject(team, project)
    }
    case 'token create': {
      const [team, username, token] = [
        name('team', first),
        name('username', second),
        tokenName(third),
      ]
      const days = values['expires-in-days']
      const expiresInDays = days === undefined ? undefined : Number(days)
      if (
        expiresInDays !== undefined &&
        !(Number.isInteger(expiresInDays) && expiresInDays >= 1 && expiresInDays <= 3650)
      )
        throw new UsageError('--expires-in-days must be a whole number from 1 to 3650')
      return async () => (await actions()).createToken(team, username, token, expiresInDays)
    }
    case 'keys rotate':
      return async () => (await actions()).rotateKeys(join(dataDir(), 'jwt-keys.json'))
  }
  throw new UsageError(`no command ${command.words.join(' ')}`)
}

const dataDir = () => process.env.LATCHKEY_DATA_DIR || '.latchkey'

function find(argv: string[]): { command: Command; rest: string[] } {
  const [group, verb] = argv
  const command = commands.find((c) => c.words[0] === group && c.words[1] === verb)
  if (command) return { command, rest: argv.slice(2) }
  const verbs = commands.filter((c) => c.words[0] === group).map((c) => c.words[1])
  if (verbs.length > 0)
    throw new UsageError(`"${group}" takes ${verbs.join(', ')}${verb ? `, not "${verb}"` : ''}`)
  throw new UsageError(`unknown command "${argv.join(' ')}": see --help`)
}

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    console.log(overview())
    return argv.length === 0 ? 2 : 0
  }
  const { command, rest } = find(argv)
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(helpOf(command))
    return 0
  }
  let parsed: { values: Values; positionals: string[] }
  try {
    const options: Record<string, { type: 'string' | 'boolean' }> = command.options
    parsed = parseArgs({
      args: rest,
      options,
      allowPositionals: true,
      strict: true,
    }) as typeof parsed
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  if (parsed.positionals.length !== command.args.length)
    throw new UsageError(`usage: ${helpOf(command).split('\n')[0]?.replace('usage: ', '')}`)
  const run = await prepare(command, parsed.positionals, parsed.values)
  // keys rotate works on the key file alone; everything else needs the table.
  const store = command.words[0] === 'keys' ? undefined : await openStore(dataDir())
  try {
    const output = await run()
    if (command.words[0] === 'token') process.stdout.write(`${output}\n`)
    else console.error(output)
    return 0
  } finally {
    await store?.close()
  }
}

try {
  process.exitCode = await main(process.argv.slice(2))
} catch (error) {
  const known = error instanceof UsageError || (error as CliError)?.name === 'CliError'
  const configError = (error as Error)?.name === 'ConfigError'
  console.error(
    `latchkey: ${known || configError ? (error as Error).message : ((error as Error)?.stack ?? error)}`,
  )
  process.exitCode = error instanceof UsageError ? 2 : 1
}
