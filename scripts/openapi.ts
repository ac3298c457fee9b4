/**
 * The OpenAPI 3.1 document, built from the route table: paths, parameters and bodies
 * from the request schemas, every answer from the rows' `responses` and `errorsOf`,
 * security from each row's `auth`. Pure: `scripts/build-docs.ts` writes it, the tests
 * validate it.
 */
import type { ErrorCode } from '../shared/errors.js'
import { STATUS } from '../shared/http/errors.js'
import {
  errorHeadersOf,
  errorsOf,
  impliedHeadersOf,
  type RouteSpec,
  routeList,
} from '../shared/routes.js'
import { ErrorBody } from '../shared/schemas/views.js'

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type JsonObject = { [key: string]: Json }

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * Schemas become components: a request schema under its `$id`, a view under its
 * `title`; every use of one is a `$ref`, so the document names each shape once.
 */
class Components {
  readonly schemas: Record<string, Json> = {}

  /** `base`: where a `$ref: '#/...'` inside an `$id` schema points once it is a component. */
  ref(schema: unknown, base?: string): Json {
    if (Array.isArray(schema)) return schema.map((item) => this.ref(item, base))
    if (!isObject(schema)) return schema as Json
    const name = typeof schema.$id === 'string' ? schema.$id : schema.title
    const { $id: _id, ...rest } = schema
    const own = typeof schema.$id === 'string' ? `#/components/schemas/${schema.$id}` : base
    const body: JsonObject = {}
    for (const [key, value] of Object.entries(rest))
      body[key] =
        key === '$ref' && typeof value === 'string' && value.startsWith('#/') && own
          ? `${own}${value.slice(1)}`
          : this.ref(value, own)
    if (typeof name !== 'string') return body
    this.schemas[name] ??= body
    return { $ref: `#/components/schemas/${name}` }
  }
}

const securityOf: Record<RouteSpec['auth'], JsonObject[]> = {
  none: [],
  user: [{ personalToken: [] }, { personalTokenQuery: [] }, { serviceToken: [] }],
  optional: [{ personalToken: [] }, { personalTokenQuery: [] }, { serviceToken: [] }, {}],
  enrollment: [{ enrollmentToken: [] }],
  server: [{ serverToken: [] }],
  github: [{ githubSignature: [] }],
}

const securitySchemes = {
  personalToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'A personal access token (`lk_...`).',
  },
  personalTokenQuery: {
    type: 'apiKey',
    in: 'query',
    name: 'token',
    description: 'A personal access token in `?token=` (Server Density clients send it so).',
  },
  serviceToken: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A one-hour service bearer token from `POST /v1/teams/{team}/service_token`.',
  },
  enrollmentToken: {
    type: 'http',
    scheme: 'bearer',
    description: "A server enrollment token (the agent's, on the enroll route only).",
  },
  serverToken: {
    type: 'http',
    scheme: 'bearer',
    description: "An enrolled server's own token (`lks_...`).",
  },
  githubSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'Github-Public-Key-Signature',
    description:
      "GitHub's ECDSA P-256 signature (DER, base64) of the raw body, with `Github-Public-Key-Identifier` naming a configured key.",
  },
} as const

const headerDocs: Record<string, JsonObject> = {
  link: {
    description: 'While more remain: `<...?count=N&offset=CURSOR>; rel="next"`.',
    schema: { type: 'string' },
  },
  'retry-after': { description: 'Seconds to wait before retrying.', schema: { type: 'string' } },
  'x-ratelimit-retry-at': {
    description:
      "When to retry, unix seconds: the moment `Retry-After` names, rounded up (the rate limit: the window's `X-RateLimit-Reset`).",
    schema: { type: 'string', pattern: '^[0-9]+$' },
  },
  'x-ratelimit-limit': {
    description: "A rate-limited token's requests a window.",
    schema: { type: 'string', pattern: '^[0-9]+$' },
  },
  'x-ratelimit-remaining': {
    description: 'Requests left in the window.',
    schema: { type: 'string', pattern: '^[0-9]+$' },
  },
  'x-ratelimit-reset': {
    description: 'When the window ends, unix seconds.',
    schema: { type: 'string', pattern: '^[0-9]+$' },
  },
  'www-authenticate': { description: 'The Bearer challenge.', schema: { type: 'string' } },
  allow: { description: 'The methods the path takes.', schema: { type: 'string' } },
  'cache-control': { description: "The answer's cache policy.", schema: { type: 'string' } },
  'x-request-id': { description: 'Names the request in the logs.', schema: { type: 'string' } },
}

/** Each header documented once, under components.headers, and referred to. */
const headersOf = (names: string[]): JsonObject =>
  Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${name}` }]))

function parameters(route: RouteSpec, components: Components): Json[] {
  const out: Json[] = []
  for (const [location, compiled] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    const schema = compiled?.schema as
      | { properties?: Record<string, unknown>; required?: readonly string[] }
      | undefined
    for (const [name, property] of Object.entries(schema?.properties ?? {})) {
      // The credential's own query parameter is a security scheme, not an input.
      if (location === 'query' && name === 'token') continue
      out.push({
        name,
        in: location,
        required: location === 'path' || (schema?.required ?? []).includes(name),
        schema: components.ref(property),
      })
    }
  }
  return out
}

function responses(route: RouteSpec, components: Components): JsonObject {
  const out: JsonObject = {}
  const always = ['x-request-id', ...(route.cache ? ['cache-control'] : [])]
  const implied = impliedHeadersOf(route)
  for (const [status, spec] of Object.entries(route.responses)) {
    out[status] = {
      description: spec.description,
      headers: headersOf([...always, ...(spec.headers ?? []), ...implied]),
      ...(spec.body && { content: { 'application/json': { schema: components.ref(spec.body) } } }),
    }
  }
  const byStatus = new Map<number, ErrorCode[]>()
  for (const code of errorsOf(route)) {
    const status = STATUS[code]
    byStatus.set(status, [...(byStatus.get(status) ?? []), code])
  }
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    const extra = codes.flatMap((code) => errorHeadersOf[code] ?? [])
    out[String(status)] = {
      description: `Error: ${codes.map((code) => `\`${code}\``).join(', ')}`,
      headers: headersOf([...new Set(['x-request-id', ...extra, ...implied])]),
      content: { 'application/json': { schema: components.ref(ErrorBody) } },
    }
  }
  return out
}

function requestBody(route: RouteSpec, components: Components): JsonObject | undefined {
  if (!route.body) return undefined
  const schema = components.ref(route.body.schema)
  const types = route.bodyTypes ?? ['json']
  const content: JsonObject = {}
  if (types.includes('json')) content['application/json'] = { schema }
  if (types.includes('form')) content['application/x-www-form-urlencoded'] = { schema }
  return { required: !route.optionalBody, content }
}

export function openApiDocument(version: string): JsonObject {
  const components = new Components()
  const paths: Record<string, JsonObject> = {}
  for (const route of routeList) {
    const operation: JsonObject = {
      operationId: route.id,
      summary: route.summary,
      tags: [route.handler.split('/')[0] ?? 'other'],
      security: securityOf[route.auth],
      responses: responses(route, components),
    }
    const params = parameters(route, components)
    if (params.length) operation.parameters = params
    const body = requestBody(route, components)
    if (body) operation.requestBody = body
    if (route.access) operation['x-latchkey-access'] = route.access
    // The built-in scope a scoped token needs here (tokens made without scopes need none).
    if (route.scope) {
      operation['x-latchkey-scope'] = route.scope
      operation.description = `Needs the scope \`${route.scope}\` when the token has scopes.`
    }
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Latchkey',
      version,
      description:
        'A self-hosted token service: Seqera Tower personal tokens, Server Density token grants, Okta ASA service tokens, projects, server enrollment tokens and servers. Generated from the route table (`npm run docs`).',
    },
    paths,
    components: { schemas: components.schemas, headers: headerDocs, securitySchemes },
  }
}
