/**
 * Writes the README's route reference, its table of DynamoDB calls per request and
 * `docs/openapi.json` from the route table
 * (and the schemas it names), so the docs can't drift from the routes the server, the
 * stack and the tests use. `--check` fails when either is stale (run by `npm test`).
 */
import { readFile, writeFile } from 'node:fs/promises'
import { STATUS } from '../shared/http/errors.js'
import { errorsOf, type RouteSpec, routeList, universalErrors } from '../shared/routes.js'
import { type BenchResults, benchTables } from './bench-tables.js'
import { openApiDocument } from './openapi.js'
import { tableDesign } from './table-design.js'

const README = new URL('../README.md', import.meta.url)
const OPENAPI = new URL('../docs/openapi.json', import.meta.url)
const PACKAGE = new URL('../package.json', import.meta.url)
const BEGIN = '<!-- routes:begin (generated from shared/routes.ts by `npm run docs`) -->'
const END = '<!-- routes:end -->'
const ENTITIES_BEGIN =
  '<!-- entities:begin (generated from shared/data/entities.ts by `npm run docs`) -->'
const ENTITIES_END = '<!-- entities:end -->'
const CALLS_BEGIN =
  '<!-- calls:begin (generated from the calls of shared/routes.ts by `npm run docs`) -->'
const CALLS_END = '<!-- calls:end -->'
const BENCH_BEGIN = '<!-- bench:begin (generated from bench/results.json by `npm run docs`) -->'
const BENCH_END = '<!-- bench:end -->'
const RESULTS = new URL('../bench/results.json', import.meta.url)

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
      return 'the agent: an enrollment token, or none and a signed AWS identity (`aws_iam`)'
    case 'server':
      return "the server's own token"
    case 'github':
      return "GitHub's secret scanning, signing the body"
    case 'user':
      if (route.access === 'manage') return 'team admins'
      if (route.access === 'read') return 'team members'
      return 'a user (personal or service token)'
  }
}

interface ShapeSchema {
  title?: string
  type?: string | readonly string[]
  properties?: Record<string, ShapeSchema>
  items?: ShapeSchema
}

/** A body in a word or a line: a view's title, else its fields (with their views). */
function shape(schema: ShapeSchema): string {
  if (schema.title) return schema.title
  if (schema.properties) {
    const fields = Object.entries(schema.properties).map(([name, field]) => {
      if (field.title) return `"${name}": ${field.title}`
      if (field.items?.title) return `"${name}": [${field.items.title}...]`
      return `"${name}"`
    })
    return `\`{${fields.join(', ')}}\``
  }
  return String(schema.type ?? 'JSON')
}

function success(route: RouteSpec): string {
  return Object.entries(route.responses)
    .map(([status, spec]) => {
      const parts = [status]
      if (spec.body) parts.push(shape(spec.body as ShapeSchema))
      if (spec.headers?.includes('link')) parts.push('+ `Link` rel="next" while more remain')
      if (route.cache === 'no-store') parts.push('(no-store)')
      return parts.join(' ')
    })
    .join('; ')
}

/** The route's error statuses and codes; the 500/503 every route may answer are said once. */
function failures(route: RouteSpec): string {
  const byStatus = new Map<number, string[]>()
  for (const code of errorsOf(route)) {
    if (universalErrors.includes(code)) continue
    byStatus.set(STATUS[code], [...(byStatus.get(STATUS[code]) ?? []), code])
  }
  return (
    [...byStatus]
      .sort(([a], [b]) => a - b)
      .map(([status, codes]) => `${status} ${codes.map((code) => `\`${code}\``).join(' ')}`)
      .join(', ') || '-'
  )
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
    route.scope ? `\`${route.scope}\`` : '-',
    success(route),
    failures(route),
  ]
  return `| ${cells.join(' | ')} |`
}

function routeReference(): string {
  return [
    '| method + path, input | who | scope | success | errors |',
    '|---|---|---|---|---|',
    ...routeList.map(row),
  ].join('\n')
}

/** Every row's declared calls, by path: the budgets the unit tests and the bench hold it to. */
function callTable(): string {
  const paths = (route: RouteSpec) =>
    Object.entries(route.calls)
      .map(([path, count]) => `${path}: **${count}**`)
      .join(', ')
  return [
    '| method + path | calls per request, by path | grows with |',
    '|---|---|---|',
    ...routeList.map(
      (route) =>
        `| \`${route.method} ${route.path}\` | ${paths(route)} | ${route.callsGrow ?? '-'} |`,
    ),
  ].join('\n')
}

const readme = await readFile(README, 'utf8')
/** The README with the text between two markers replaced. */
function between(text: string, begin: string, end: string, content: string): string {
  const from = text.indexOf(begin)
  const to = text.indexOf(end)
  if (from < 0 || to < from) throw new Error(`README.md lacks the markers ${begin} ... ${end}`)
  return `${text.slice(0, from + begin.length)}\n${content}\n${text.slice(to)}`
}
const results = JSON.parse(await readFile(RESULTS, 'utf8')) as BenchResults
const updated = [
  { begin: BEGIN, end: END, content: routeReference() },
  { begin: ENTITIES_BEGIN, end: ENTITIES_END, content: tableDesign() },
  { begin: CALLS_BEGIN, end: CALLS_END, content: callTable() },
  { begin: BENCH_BEGIN, end: BENCH_END, content: benchTables(results) },
].reduce((text, { begin, end, content }) => between(text, begin, end, content), readme)

const { version } = JSON.parse(await readFile(PACKAGE, 'utf8')) as { version: string }
const openapi = `${JSON.stringify(openApiDocument(version), null, 2)}\n`

if (process.argv.includes('--check')) {
  const current = await readFile(OPENAPI, 'utf8').catch(() => '')
  const stale = [updated !== readme && 'README.md', current !== openapi && 'docs/openapi.json']
  if (stale.some(Boolean)) {
    console.error(`${stale.filter(Boolean).join(' and ')} stale: run \`npm run docs\` and commit.`)
    process.exit(1)
  }
} else {
  await writeFile(README, updated)
  await writeFile(OPENAPI, openapi)
  console.log(`wrote the route reference and docs/openapi.json (${routeList.length} routes)`)
}
