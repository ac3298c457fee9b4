/**
 * Writes the README's route reference from the route table (and the request schemas
 * it names), between the `routes` markers, so the docs can't drift from the routes the
 * server, the stack and the tests use. `--check` fails when the README is stale (run
 * by `npm test`).
 */
import { readFile, writeFile } from 'node:fs/promises'
import { type RouteSpec, routeList } from '../shared/routes.js'

const README = new URL('../README.md', import.meta.url)
const BEGIN = '<!-- routes:begin (generated from shared/routes.ts by `npm run docs`) -->'
const END = '<!-- routes:end -->'

interface ObjectSchema {
  properties?: Record<string, unknown>
  required?: readonly string[]
}

/** `{"name", "expiresInDays"?}`: a body's fields, the optional ones marked. */
function bodyFields(schema: ObjectSchema): string {
  const required = new Set(schema.required ?? [])
  const fields = Object.keys(schema.properties ?? {}).map(
    (name) => `"${name}"${required.has(name) ? '' : '?'}`,
  )
  return `\`{${fields.join(', ')}}\``
}

/** `?count=&offset=`: a query's parameters. */
const queryFields = (schema: ObjectSchema) =>
  `\`?${Object.keys(schema.properties ?? {})
    .map((name) => `${name}=`)
    .join('&')}\``

function who(route: RouteSpec): string {
  switch (route.auth) {
    case 'none':
      return 'anyone'
    case 'optional':
      return 'a token, or a password in the body'
    case 'enrollment':
      return 'an enrollment token (the agent)'
    case 'server':
      return "the server's own token"
    case 'user':
      if (route.access === 'manage') return 'team admins'
      if (route.access === 'read') return 'team members'
      return 'a user (personal or service token)'
  }
}

function row(route: RouteSpec): string {
  const input = [
    route.query && queryFields(route.query.schema as ObjectSchema),
    route.body &&
      `${bodyFields(route.body.schema as ObjectSchema)}${route.bodyTypes?.includes('form') ? ' (JSON or form)' : ''}`,
  ].filter(Boolean)
  const cells = [
    `\`${route.method} ${route.path}\`${input.length ? ` ${input.join(' ')}` : ''}`,
    who(route),
    route.responds,
    route.errors,
  ]
  return `| ${cells.join(' | ')} |`
}

function routeReference(): string {
  return [
    '| method + path, input | who | success | errors |',
    '|---|---|---|---|',
    ...routeList.map(row),
  ].join('\n')
}

const readme = await readFile(README, 'utf8')
const start = readme.indexOf(BEGIN)
const end = readme.indexOf(END)
if (start < 0 || end < start) throw new Error(`README.md lacks the markers ${BEGIN} ... ${END}`)
const updated = `${readme.slice(0, start + BEGIN.length)}\n${routeReference()}\n${readme.slice(end)}`

if (process.argv.includes('--check')) {
  if (updated !== readme) {
    console.error("README.md's route reference is stale: run `npm run docs` and commit it.")
    process.exit(1)
  }
} else {
  await writeFile(README, updated)
  console.log(`wrote the route reference (${routeList.length} routes)`)
}
