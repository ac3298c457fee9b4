/**
 * The admin CLI's work, apart from its process: arguments in, an exit code out, text
 * through `io`. `latchkey.ts` runs it as a process; tests run it in theirs.
 */
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { NAME_PATTERN, NAME_RULE } from '../shared/names.js'
import {
  AuditQuery,
  CreateAccessTokenBody,
  CreateCloudAccountBody,
  TeamTokensQuery,
  TokenPolicyBody,
} from '../shared/schemas/validators.gen.js'
import { type Command, commands, groupHelp, groups, helpOf, overview } from './commands.js'
import { UsageError } from './errors.js'

export interface Io {
  /** Results meant for `$(...)`: a token, a list. */
  out(text: string): void
  /** Messages for the operator. */
  err(text: string): void
  /** Standard input, whole; undefined when it is a terminal. */
  readStdin(): Promise<string | undefined>
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

const tokenId = (value: string) => {
  if (!/^[1-9]\d{0,15}$/.test(value))
    throw new UsageError(`the token id must be a positive whole number, not "${value}"`)
  return Number(value)
}

/** Enrollment token and server ids are UUIDs (v7). */
const uuid = (what: string, value: string) => {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value))
    throw new UsageError(`the ${what} id must be a UUID, not "${value}"`)
  return value
}

async function readPassword(io: Io): Promise<string> {
  const input = await io.readStdin()
  if (input === undefined) throw new UsageError('pipe the password in: it is read from stdin')
  const password = input.replace(/\r?\n$/, '')
  if (password.length < 8 || password.length > 1024)
    throw new UsageError('the password must be 8 to 1024 characters')
  return password
}

type Values = Record<string, string | boolean | undefined>
type Work = () => Promise<string>

/**
 * A route's query from options, each checked alone against the route's own schema,
 * so the CLI takes exactly what the route takes and names the option it refuses.
 */
function routeQuery(
  schema: { validate: (value: unknown) => boolean },
  values: Values,
  fields: Record<string, [option: string, rule: string]>,
): Record<string, string> {
  const query: Record<string, string> = {}
  for (const [field, [option, rule]] of Object.entries(fields)) {
    const value = values[option]
    if (value === undefined) continue
    if (!schema.validate({ [field]: String(value) }))
      throw new UsageError(`--${option} must be ${rule}, not "${value}"`)
    query[field] = String(value)
  }
  return query
}

const PAGING = {
  count: ['count', 'a whole number from 1 to 1000'],
  offset: ['offset', 'a cursor of 1 to 2048 characters'],
} satisfies Record<string, [string, string]>

/** A page for stdout; when more remain, the next page's option on stderr. */
const paged =
  (io: Io, read: () => Promise<{ text: string; next?: string }>): Work =>
  async () => {
    const page = await read()
    if (page.next) io.err(`more: --offset ${page.next}\n`)
    return page.text
  }

/** Checks every argument before the store opens, then returns the work. */
async function prepare(command: Command, args: string[], values: Values, io: Io): Promise<Work> {
  const [first = '', second = '', third = ''] = args
  const actions = () => import('./actions.js')
  switch (`${command.words[0]} ${command.words[1]}`) {
    case 'team create': {
      const team = name('team', first)
      return async () => (await actions()).createTeam(team)
    }
    case 'team list':
      return async () => (await actions()).teamList()
    case 'team delete': {
      const team = name('team', first)
      return async () => (await actions()).teamDelete(team)
    }
    case 'team tokens': {
      const team = name('team', first)
      const query = routeQuery(TeamTokensQuery, values, {
        user: ['user', NAME_RULE],
        expiring_within_days: ['expiring-within-days', 'a whole number from 1 to 3999'],
        ...PAGING,
      })
      return paged(io, async () => (await actions()).teamTokens(team, query))
    }
    case 'audit list': {
      const team = name('team', first)
      const query = routeQuery(AuditQuery, values, {
        type: ['type', 'an event type such as AccessTokenDeleted'],
        actor: ['actor', '1 to 512 characters without control characters'],
        since: ['since', 'an ISO-8601 UTC time such as 2026-11-22T10:15:30Z'],
        ...PAGING,
      })
      return paged(io, async () => (await actions()).auditList(team, query))
    }
    case 'user create': {
      const [team, username] = [name('team', first), name('username', second)]
      const role = oneOf('--role', String(values.role ?? 'member'), ['admin', 'member'] as const)
      const password = values['password-stdin'] ? await readPassword(io) : undefined
      const mfaEnabled = values.mfa === true
      return async () =>
        (await actions()).createUser(team, username, { role, password, mfaEnabled })
    }
    case 'user list': {
      const team = name('team', first)
      return async () => (await actions()).userList(team)
    }
    case 'user delete': {
      const [team, username] = [name('team', first), name('username', second)]
      return async () => (await actions()).userDelete(team, username)
    }
    case 'user set-password': {
      const [team, username] = [name('team', first), name('username', second)]
      if (!values['password-stdin']) throw new UsageError('--password-stdin is required')
      const password = await readPassword(io)
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
    case 'project list': {
      const team = name('team', first)
      return async () => (await actions()).projectList(team)
    }
    case 'project delete': {
      const [team, project] = [name('team', first), name('project', second)]
      return async () => (await actions()).projectDelete(team, project)
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
    case 'token list': {
      const [team, username] = [name('team', first), name('username', second)]
      return async () => (await actions()).tokenList(team, username)
    }
    case 'token revoke': {
      const [team, username, id] = [name('team', first), name('username', second), tokenId(third)]
      return async () => (await actions()).tokenRevoke(team, username, id)
    }
    case 'enrollment-token list': {
      const [team, project] = [name('team', first), name('project', second)]
      return async () => (await actions()).enrollmentTokenList(team, project)
    }
    case 'enrollment-token delete': {
      const [team, project] = [name('team', first), name('project', second)]
      const id = uuid('enrollment token', third)
      return async () => (await actions()).enrollmentTokenDelete(team, project, id)
    }
    case 'server list': {
      const [team, project] = [name('team', first), name('project', second)]
      return async () => (await actions()).serverList(team, project)
    }
    case 'server delete': {
      const [team, project, id] = [
        name('team', first),
        name('project', second),
        uuid('server', third),
      ]
      return async () => (await actions()).serverDelete(team, project, id)
    }
    case 'cloud-account add': {
      const [team, project] = [name('team', first), name('project', second)]
      const roles = values.roles === undefined ? undefined : String(values.roles).split(',')
      const description = values.description === undefined ? undefined : String(values.description)
      // The API's own schema decides, so the CLI accepts exactly what the route does.
      const request = { provider: 'aws' as const, account_id: third, role_arns: roles, description }
      if (!CreateCloudAccountBody.validate(request))
        throw new UsageError(
          'the account id must be 12 digits, --roles IAM role ARNs (arn:aws:iam::<account>:role/<name or prefix*>), --description plain text',
        )
      return async () => (await actions()).addCloudAccountCli(team, project, request)
    }
    case 'cloud-account list': {
      const [team, project] = [name('team', first), name('project', second)]
      return async () => (await actions()).listCloudAccountsCli(team, project)
    }
    case 'cloud-account remove': {
      const [team, project] = [name('team', first), name('project', second)]
      const id = uuid('cloud account', third)
      return async () => (await actions()).removeCloudAccountCli(team, project, id)
    }
    case 'policy show': {
      const team = name('team', first)
      return async () => (await actions()).tokenPolicyShow(team)
    }
    case 'policy set': {
      const team = name('team', first)
      const whole = (option: string) => {
        const value = values[option]
        if (value === undefined) return undefined
        if (!/^[0-9]{1,7}$/.test(String(value)))
          throw new UsageError(`--${option} must be a whole number`)
        return Number(value)
      }
      const scopes = values['allowed-scopes']
      const change = {
        maxLifetimeDays: whole('max-lifetime-days'),
        maxTokensPerUser: whole('max-tokens-per-user'),
        allowedScopes: scopes === undefined ? undefined : String(scopes).split(','),
        inactiveDays: whole('inactive-days'),
      }
      // The API's own schema decides, so the CLI accepts exactly what the route does.
      const defined = Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined))
      if (!TokenPolicyBody.validate(defined))
        throw new UsageError(
          'days must be 1-3650, --max-tokens-per-user 1-1000, --allowed-scopes distinct scopes joined by commas',
        )
      return async () => (await actions()).tokenPolicySet(team, defined)
    }
    case 'keys rotate':
      return async () => (await import('./keys.js')).rotateKeys(join(dataDir(), 'jwt-keys.json'))
  }
  throw new UsageError(`no command ${command.words.join(' ')}`)
}

const dataDir = () => process.env.LATCHKEY_DATA_DIR || '.latchkey'

const wantsHelp = (args: string[]) => args.includes('--help') || args.includes('-h')

function find(argv: string[]): { command: Command; rest: string[] } {
  const [group, verb] = argv
  const command = commands.find((c) => c.words[0] === group && c.words[1] === verb)
  if (command) return { command, rest: argv.slice(2) }
  const verbs = commands.filter((c) => c.words[0] === group).map((c) => c.words[1])
  if (verbs.length > 0)
    throw new UsageError(`"${group}" takes ${verbs.join(', ')}${verb ? `, not "${verb}"` : ''}`)
  throw new UsageError(`unknown command "${argv.join(' ')}": see --help`)
}

/** Results go to stdout (for `$(...)`); confirmations of changes to stderr. */
const printsResult = (command: Command) =>
  command.words[1] === 'list' ||
  command.words[0] === 'policy' ||
  ['token create', 'cloud-account add', 'team tokens'].includes(command.words.join(' '))

async function execute(argv: string[], io: Io): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.out(`${overview()}\n`)
    return argv.length === 0 ? 2 : 0
  }
  // `<group> --help` (or a group alone, which is a usage error with the same text).
  const [group = '', second] = argv
  if (
    (groups as readonly string[]).includes(group) &&
    (second === undefined || second === '--help' || second === '-h')
  ) {
    io.out(`${groupHelp(group)}\n`)
    return second === undefined ? 2 : 0
  }
  const { command, rest } = find(argv)
  if (wantsHelp(rest)) {
    io.out(`${helpOf(command)}\n`)
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
  const work = await prepare(command, parsed.positionals, parsed.values, io)
  // keys rotate works on the key file alone; everything else needs the table.
  const { openStore } = await import('./open-store.js')
  const store = command.words[0] === 'keys' ? undefined : await openStore(dataDir())
  try {
    const output = await work()
    if (printsResult(command)) io.out(`${output}\n`)
    else io.err(`${output}\n`)
    return 0
  } finally {
    await store?.close()
  }
}

/** Errors the operator can act on are one line; anything else is a bug, shown whole. */
const ONE_LINE = new Set(['UsageError', 'CliError', 'ConfigError', 'LaunchError'])

export async function runCli(argv: string[], io: Io): Promise<number> {
  try {
    return await execute(argv, io)
  } catch (error) {
    const known = error instanceof Error && ONE_LINE.has(error.name)
    io.err(`latchkey: ${known ? error.message : ((error as Error)?.stack ?? String(error))}\n`)
    return error instanceof UsageError ? 2 : 1
  }
}
