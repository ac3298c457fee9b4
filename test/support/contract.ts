/**
 * The contract as a test oracle: every answer the integration suite receives is
 * checked against its route's row, so the OpenAPI document (generated from the same
 * rows) cannot drift from what the code does. A status the row does not declare, a
 * body its schema does not describe, or an error code the route may not answer fails
 * the request that received it.
 */
import { Ajv, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { STATUS } from '../../shared/http/errors.js'
import { createRouter } from '../../shared/http/router.js'
import { errorsOf, routeList } from '../../shared/routes.js'
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
  body: unknown
  text: string
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
    return undefined
  }
  if (found.kind !== 'route') return `${where} but no route matches`
  const spec = (found.route.responses as Record<number, { body?: object }>)[status]
  if (!spec) return `${where}, a status its route does not declare`
  if (method === 'HEAD') return undefined
  if (!spec.body) return answer.text === '' ? undefined : `${where} with a body, declared empty`
  const validate = validatorOf(spec.body)
  if (validate(answer.body)) return undefined
  return `${where} with a body its schema rejects: ${ajv.errorsText(validate.errors)}`
}
