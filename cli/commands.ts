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
]

export function overview(): string {
  const short = (c: CommandSpec) => [...c.words, ...c.args.map((arg) => `<${arg}>`)].join(' ')
  const width = Math.max(...commands.map((c) => short(c).length))
  return [
    'usage: npm run -s latchkey -- <command> [arguments] [--help]',
    '',
    'Commands (each takes --help):',
    ...commands.map((c) => `  ${short(c).padEnd(width)}  ${c.summary}`),
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
