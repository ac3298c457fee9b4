/**
 * The admin CLI's commands as data: words, arguments, options and help. Parsing and
 * checking happen in latchkey.ts; the work itself is in actions.ts, which loads only
 * after the store is chosen (the data layer reads its configuration when it loads).
 */
export interface OptionSpec {
  type: 'string' | 'boolean'
  help: string
  /** The value's placeholder in usage lines, for string options. */
  value?: string
}

export interface CommandSpec {
  words: [string, string]
  args: string[]
  options: Record<string, OptionSpec>
  summary: string
  /** Extra lines for `--help`. */
  details?: string[]
}

export const commands = [
  {
    words: ['team', 'create'],
    args: ['team'],
    options: {},
    summary: 'Creates a team with no users.',
  },
  {
    words: ['team', 'list'],
    args: [],
    options: {},
    summary: 'Lists every team (a Scan of the table: teams have no index).',
  },
  {
    words: ['team', 'delete'],
    args: ['team'],
    options: {},
    summary: 'Deletes a team with its users, their tokens, its projects and their servers.',
    details: [
      'Service tokens (JWTs) already issued to its users stay valid until they expire (an hour at most).',
    ],
  },
  {
    words: ['team', 'tokens'],
    args: ['team'],
    options: {
      user: { type: 'string', value: 'username', help: "only this user's tokens, by id" },
      'expiring-within-days': {
        type: 'string',
        value: 'days',
        help: 'only tokens that expire within this many days (1-3999)',
      },
      count: { type: 'string', value: 'n', help: 'tokens per page (1-1000, default 100)' },
      offset: {
        type: 'string',
        value: 'cursor',
        help: 'the page after this cursor (the previous page prints it on stderr)',
      },
    },
    summary:
      "Lists the team's personal tokens as GET /v1/teams/{team}/tokens does (metadata only, soonest expiring first), a page at a time.",
    details: [
      'Example: npm run -s latchkey -- team tokens acme --expiring-within-days 7',
      'When more remain, stderr says so: "more: --offset <cursor>"; pass it (with the same filters) for the next page.',
    ],
  },
  {
    words: ['user', 'create'],
    args: ['team', 'username'],
    options: {
      role: { type: 'string', value: 'admin|member', help: 'the role (default member)' },
      'password-stdin': { type: 'boolean', help: 'read a password from standard input' },
      mfa: { type: 'boolean', help: 'mark the user as having MFA (no password grant)' },
    },
    summary: 'Adds a user to an existing team.',
  },
  {
    words: ['user', 'list'],
    args: ['team'],
    options: {},
    summary: "Lists a team's users: role, password set or not, MFA, creation time.",
  },
  {
    words: ['user', 'delete'],
    args: ['team', 'username'],
    options: {},
    summary: 'Deletes a user and every personal token of theirs.',
    details: [
      'Service tokens (JWTs) already issued to them stay valid until they expire (an hour at most).',
    ],
  },
  {
    words: ['user', 'set-password'],
    args: ['team', 'username'],
    options: {
      'password-stdin': { type: 'boolean', help: 'read the password from standard input' },
    },
    summary: "Sets a user's password (read from standard input, never from the command line).",
    details: [
      'Example: printf %s "$PASSWORD" | npm run -s latchkey -- user set-password acme ann --password-stdin',
    ],
  },
  {
    words: ['user', 'mfa'],
    args: ['team', 'username', 'on|off'],
    options: {},
    summary: "Turns a user's MFA flag on or off.",
  },
  {
    words: ['user', 'role'],
    args: ['team', 'username', 'admin|member'],
    options: {},
    summary: "Sets a user's role.",
  },
  {
    words: ['project', 'create'],
    args: ['team', 'project'],
    options: {},
    summary: 'Creates a project in a team.',
  },
  {
    words: ['project', 'list'],
    args: ['team'],
    options: {},
    summary: "Lists a team's projects.",
  },
  {
    words: ['project', 'delete'],
    args: ['team', 'project'],
    options: {},
    summary: 'Deletes a project with its enrollment tokens and servers (their tokens are revoked).',
  },
  {
    words: ['cloud-account', 'add'],
    args: ['team', 'project', 'account-id'],
    options: {
      roles: {
        type: 'string',
        value: 'arn,...',
        help: 'only these IAM roles (ARNs, or name prefixes ending in *)',
      },
      description: { type: 'string', value: 'text', help: 'a note for people' },
    },
    summary:
      "Registers an AWS account whose instances may enroll into the project with their IAM role (no token); prints the account's id.",
    details: [
      'Example: npm run -s latchkey -- cloud-account add acme web 111122223333 --roles arn:aws:iam::111122223333:role/web-*',
    ],
  },
  {
    words: ['cloud-account', 'list'],
    args: ['team', 'project'],
    options: {},
    summary: "Lists a project's cloud accounts, one per line: id, account, roles.",
  },
  {
    words: ['cloud-account', 'remove'],
    args: ['team', 'project', 'id'],
    options: {},
    summary: 'Removes a cloud account; servers it admitted stay enrolled.',
  },
  {
    words: ['policy', 'show'],
    args: ['team'],
    options: {},
    summary: "Prints the team's token policy as JSON (the defaults until one is set).",
  },
  {
    words: ['policy', 'set'],
    args: ['team'],
    options: {
      'max-lifetime-days': {
        type: 'string',
        value: 'days',
        help: 'personal tokens must expire within this (1-3650)',
      },
      'max-tokens-per-user': {
        type: 'string',
        value: 'n',
        help: 'tokens one user may hold (1-1000, default 1000)',
      },
      'allowed-scopes': {
        type: 'string',
        value: 'scope,...',
        help: "the only scopes members' tokens may hold",
      },
      'inactive-days': {
        type: 'string',
        value: 'days',
        help: 'the sweeper revokes tokens unused this long (1-3650)',
      },
    },
    summary:
      "Replaces the team's token policy (an option left out takes its default) and prints it as JSON.",
    details: [
      'Example: npm run -s latchkey -- policy set acme --max-lifetime-days 90 --max-tokens-per-user 50',
    ],
  },
  {
    words: ['token', 'create'],
    args: ['team', 'username', 'name'],
    options: {
      'expires-in-days': {
        type: 'string',
        value: 'days',
        help: 'make the token expire (1-3650 days)',
      },
    },
    summary: 'Creates a personal access token and prints only the token on stdout.',
  },
  {
    words: ['token', 'list'],
    args: ['team', 'username'],
    options: {},
    summary: "Lists a user's personal access tokens: id, name and times, never a secret.",
  },
  {
    words: ['token', 'revoke'],
    args: ['team', 'username', 'id'],
    options: {},
    summary: "Revokes (deletes) one of a user's personal access tokens by id, as an admin.",
    details: [
      'The same as DELETE /v1/teams/{team}/users/{user}/tokens/{tokenId}: its AccessTokenDeleted event names the operator, cli.',
    ],
  },
  {
    words: ['audit', 'list'],
    args: ['team'],
    options: {
      type: { type: 'string', value: 'EventType', help: 'only events of this type' },
      actor: {
        type: 'string',
        value: 'actor',
        help: 'only events by this actor (admin, cli, expiry, ...)',
      },
      since: {
        type: 'string',
        value: 'time',
        help: 'only events from this ISO-8601 UTC time on (2026-11-22T10:15:30Z)',
      },
      count: { type: 'string', value: 'n', help: 'events per page (1-1000, default 100)' },
      offset: {
        type: 'string',
        value: 'cursor',
        help: 'the page after this cursor (the previous page prints it on stderr)',
      },
    },
    summary:
      "Reads the team's audit trail as GET /v1/teams/{team}/audit does, newest first: time, type, actor and the event's detail (JSON).",
    details: [
      'Example: npm run -s latchkey -- audit list acme --type AccessTokenDeleted --since 2026-11-01T00:00:00Z',
      'When more remain, stderr says so: "more: --offset <cursor>"; pass it (with the same filters) for the next page.',
    ],
  },
  {
    words: ['enrollment-token', 'list'],
    args: ['team', 'project'],
    options: {},
    summary:
      "Lists a project's server enrollment tokens: id, description, uses, expiry (no token values).",
  },
  {
    words: ['enrollment-token', 'delete'],
    args: ['team', 'project', 'id'],
    options: {},
    summary: 'Deletes a server enrollment token; servers enrolled with it stay.',
  },
  {
    words: ['server', 'list'],
    args: ['team', 'project'],
    options: {},
    summary: "Lists a project's enrolled servers.",
  },
  {
    words: ['server', 'delete'],
    args: ['team', 'project', 'id'],
    options: {},
    summary: 'Deletes a server; its token is revoked at once.',
  },
  {
    words: ['keys', 'rotate'],
    args: [],
    options: {},
    summary: "Rotates the local service-token signing key (the data folder's jwt-keys.json).",
    details: [
      'Tokens signed by the old key stay valid until they expire; restart npm start to sign with the new one.',
      'On AWS, rotate by deploying a new KMS key and listing the old one in JWT_KMS_PREVIOUS_KEY_IDS (README, Deploy).',
    ],
  },
] as const satisfies readonly CommandSpec[]

export type Command = (typeof commands)[number]

export const STORE_HELP = [
  'Store (the same one npm start uses, running or not):',
  '  LATCHKEY_DATA_DIR           the data folder (default .latchkey)',
  '  DYNAMODB_ENDPOINT + TABLE_NAME   another DynamoDB endpoint, e.g. DynamoDB Local',
  '  TABLE_NAME + AWS_REGION     a table on AWS, with AWS credentials from the usual chain',
  'Bad input: one line on stderr, exit 2. A refused change (unknown team, existing user): exit 1.',
]

const shortOf = (c: CommandSpec) => [...c.words, ...c.args.map((arg) => `<${arg}>`)].join(' ')

export function overview(): string {
  const width = Math.max(...commands.map((c) => shortOf(c).length))
  return [
    'usage: npm run -s latchkey -- <command> [arguments] [--help]',
    '',
    'Commands (each takes --help):',
    ...commands.map((c) => `  ${shortOf(c).padEnd(width)}  ${c.summary}`),
    '',
    ...STORE_HELP,
  ].join('\n')
}

/** The groups (first words), in order, for `<group> --help`. */
export const groups = [...new Set(commands.map((c) => c.words[0]))]

export function groupHelp(group: string): string {
  const members = commands.filter((c) => c.words[0] === group)
  const width = Math.max(...members.map((c) => shortOf(c).length))
  return [
    `usage: npm run -s latchkey -- ${group} <${members.map((c) => c.words[1]).join('|')}> [arguments] [--help]`,
    '',
    ...members.map((c) => `  ${shortOf(c).padEnd(width)}  ${c.summary}`),
    '',
    ...STORE_HELP,
  ].join('\n')
}

export function usageOf(command: CommandSpec): string {
  const options = Object.entries(command.options).map(([name, option]) =>
    option.type === 'boolean' ? `[--${name}]` : `[--${name} ${option.value ?? '<value>'}]`,
  )
  return [...command.words, ...command.args.map((arg) => `<${arg}>`), ...options].join(' ')
}

export function helpOf(command: CommandSpec): string {
  const options = Object.entries(command.options)
  return [
    `usage: npm run -s latchkey -- ${usageOf(command)}`,
    '',
    command.summary,
    ...(options.length > 0
      ? ['', 'Options:', ...options.map(([name, option]) => `  --${name.padEnd(18)}${option.help}`)]
      : []),
    ...(command.details ? ['', ...command.details] : []),
    '',
    ...STORE_HELP,
  ].join('\n')
}
