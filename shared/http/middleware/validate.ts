import { type FieldError, invalidRequest } from '../../errors.js'
import type { RouteSpec } from '../../routes.js'
import type { SchemaError } from '../../schemas/validator.js'
import type { Middleware } from '../event.js'

type Location = 'body' | 'params' | 'query'

const LOCATION_NAMES: Record<Location, string> = {
  body: 'request body',
  params: 'path',
  query: 'query string',
}

type Node = Record<string, unknown>

/** A schema and every definition inside it: the bases an error's `schemaPath` may start from. */
function basesOf(schema: object): Node[] {
  const bases: Node[] = [schema as Node]
  const visit = (node: unknown) => {
    if (!node || typeof node !== 'object') return
    for (const [key, child] of Object.entries(node)) {
      if (key === '$defs' && child && typeof child === 'object')
        bases.push(...(Object.values(child) as Node[]))
      visit(child)
    }
  }
  visit(schema)
  return bases
}

/**
 * The schema node an error's keyword belongs to, to read its `description`. Inside a
 * definition that is its own function (a recursive one), ajv's `schemaPath` starts at
 * that definition, so each base is tried.
 */
function schemaNode(bases: Node[], schemaPath: string): Node {
  const parts = schemaPath.replace(/^#\//, '').split('/').map(decodeURIComponent)
  const keyword = parts.pop() ?? ''
  for (const base of bases) {
    let node: unknown = base
    for (const part of parts) node = (node as Node | undefined)?.[part]
    if (node && typeof node === 'object' && keyword in node) return node as Node
  }
  return {}
}

const described = (node: Node) =>
  typeof node.description === 'string' ? node.description : undefined

/** Turns ajv's errors into the contract's `errors` items, naming the field at fault. */
function toFieldErrors(errors: SchemaError[], bases: Node[], location: Location): FieldError[] {
  // An invalid key yields one error per broken rule and one `propertyNames` error; the last says it all.
  return errors
    .filter((error) => error.propertyName === undefined)
    .map((error) => {
      const field = error.instancePath.split('/').filter(Boolean).join('.')
      const at = (name: string) => (field ? `${field}.${name}` : name)
      const node = schemaNode(bases, error.schemaPath)
      switch (error.keyword) {
        case 'required':
          return { description: at(String(error.params.missingProperty)), message: 'is required' }
        case 'additionalProperties':
          return {
            description: at(String(error.params.additionalProperty)),
            message: 'is not a known field',
          }
        case 'propertyNames': {
          const rule = described((node.propertyNames ?? {}) as Node)
          const key = JSON.stringify(error.params.propertyName)
          return {
            description: field || location,
            message: `has a key ${key} that is not allowed${rule ? `: keys are ${rule}` : ''}`,
          }
        }
        case 'pattern':
        case 'not': {
          const rule = described(node)
          const fallback = error.keyword === 'pattern' ? `like ${error.params.pattern}` : 'valid'
          return { description: field || location, message: `must be ${rule ?? fallback}` }
        }
        case 'type':
          if (!field) {
            const type = String(error.params.type)
            return {
              description: location,
              message: `must be ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`,
            }
          }
          break
      }
      return { description: field || location, message: error.message ?? 'is invalid' }
    })
}

/**
 * Validates path parameters, query and body against the route's precompiled
 * schemas (no type coercion) and hands the handler the validated input.
 */
export function validateInput(route: RouteSpec): Middleware {
  const checks = (['params', 'query', 'body'] as const).flatMap((location) => {
    const compiled = route[location]
    return compiled ? [{ location, ...compiled, bases: basesOf(compiled.schema) }] : []
  })
  return {
    name: 'validateInput',
    before: ({ event }) => {
      const input = {
        params: event.pathParameters ?? {},
        query: event.queryStringParameters ?? {},
        body: event.parsedBody,
      }
      for (const { location, bases, validate } of checks) {
        if (location === 'body' && input.body === undefined) {
          if (route.optionalBody) continue
          throw invalidRequest('A request body is required.', [
            { description: 'body', message: 'is required' },
          ])
        }
        if (!validate(input[location])) {
          const errors = toFieldErrors(validate.errors ?? [], bases, location)
          const summary = errors.map((e) => `${e.description} ${e.message}`).join('; ')
          throw invalidRequest(`Invalid ${LOCATION_NAMES[location]}: ${summary}.`, errors)
        }
      }
      event.input = input as typeof event.input
    },
  }
}
