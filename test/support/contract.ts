/**
 * The contract as a test oracle: every answer the integration suite receives is
 * checked against its route's row, so the OpenAPI document (generated from the same
 * rows) cannot drift from what the code does. A status the row does not declare, a
 * body its schema does not describe, an error code the route may not answer, or an
 * error answer without its code's headers (a 429 without X-RateLimit-Retry-At) fails
 * the request that received it.
 */
import { Ajv, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { STATUS } from '../../shared/http/errors.js'
import { createRouter } from '../../shared/http/router.js'
import {
  errorHeadersOf,
  errorsOf,
  impliedHeadersOf,
  rateLimitHeaderNames,
  routeList,
} from '../../shared/routes.js'
import { ErrorBody } from '../../shared/schemas/views.js'

// ajv-formats is CommonJS: depending on the loader its plugin is the import or its `default`.
type Plugin = (ajv: Ajv) => Ajv
const plugin = addFormatsModule as unknown as Plugin & { default?: Plugin }
const addFormats: Plugin = plugin.default ?? plugin

const ajv = new Ajv({ allErrors: true, strict: false })
addFormats(ajv)
const validators = new Map<object, ValidateFunction>()
const validatorOf = (schema: object) => {
  let validate = validators.get(schema)
  if (!validate) {
    validate = ajv.compile(schema)
    validators.set(schema, validate)
  }
  return validate
}

const match = createRouter(routeList)

/** Statuses any path may answer before a route is chosen (API Gateway's and the server's). */
const FALLBACK_CODES = new Set(['resource_does_not_exist', 'method_not_allowed'])

export interface Answer {
  method: string
  path: string
  status: number
  headers: Headers
  body: unknown
  text: string
}

/** Headers whose value is a count or unix seconds: digits only (Go's strconv.ParseInt reads them). */
const NUMERIC = new Set<string>(['retry-after', 'x-ratelimit-retry-at', ...rateLimitHeaderNames])

/**
 * Why an answer's headers break the contract: a header its code requires missing (a
 * 429's two retry headers, a 401's challenge), a count or time that is not digits (Go's
 * strconv.ParseInt reads them), or a `link` or rate-limit header the row does not declare.
 */
function headerViolation(
  answer: Answer,
  required: readonly string[],
  may: readonly string[],
  where: string,
) {
  for (const name of required)
    if (!answer.headers.has(name)) return `${where} without its ${name} header`
  for (const name of NUMERIC) {
    const value = answer.headers.get(name)
    if (value !== null && !/^[0-9]+$/.test(value)) return `${where} with ${name}: ${value}`
  }
  for (const name of ['link', ...rateLimitHeaderNames])
    if (answer.headers.has(name) && !may.includes(name))
      return `${where} with ${name}, which its route does not declare`
  return undefined
}

/** Why an answer breaks the contract, or undefined when it keeps it. */
export function contractViolation(answer: Answer): string | undefined {
  const { method, status } = answer
  const path = new URL(answer.path, 'http://x').pathname
  const found = match(method === 'HEAD' ? 'GET' : method, path)
  const where = `${method} ${path} answered ${status}`
  if (status >= 400) {
    const validate = validatorOf(ErrorBody)
    if (!validate(answer.body))
      return `${where} with a body that is not the error body: ${answer.text}`
    const code = (answer.body as { code: keyof typeof STATUS }).code
    if (STATUS[code] !== status) return `${where} with code ${code}, which is ${STATUS[code]}`
    const allowed = found.kind === 'route' ? errorsOf(found.route) : []
    if (!allowed.includes(code) && !FALLBACK_CODES.has(code))
      return `${where} ${code}, which its route does not declare`
    const implied = found.kind === 'route' ? impliedHeadersOf(found.route) : []
    return headerViolation(answer, errorHeadersOf[code] ?? [], implied, where)
  }
  if (found.kind !== 'route') return `${where} but no route matches`
  const spec = (
    found.route.responses as Record<number, { body?: object; headers?: readonly string[] }>
  )[status]
  if (!spec) return `${where}, a status its route does not declare`
  const may = [...(spec.headers ?? []), ...impliedHeadersOf(found.route)]
  const headers = headerViolation(answer, [], may, where)
  if (headers) return headers
  if (method === 'HEAD') return undefined
  if (!spec.body) return answer.text === '' ? undefined : `${where} with a body, declared empty`
  const validate = validatorOf(spec.body)
  if (validate(answer.body)) return undefined
  return `${where} with a body its schema rejects: ${ajv.errorsText(validate.errors)}`
}
