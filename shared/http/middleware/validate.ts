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

/** The schema node an error points at, to read its `description`. */
function schemaNode(schema: object, schemaPath: string): Record<string, unknown> {
  let node: unknown = schema
  for (const part of schemaPath.replace(/^#\//, '').split('/').slice(0, -1)) {
    node = (node as Record<string, unknown> | undefined)?.[decodeURIComponent(part)]
  }
  return (node ?? {}) as Record<string, unknown>
}

/** Turns ajv's errors into the contract's `errors` items, naming the field at fault. */
function toFieldErrors(errors: SchemaError[], schema: object, location: Location): FieldError[] {
  return errors.map((error) => {
    const field = error.instancePath.split('/').filter(Boolean).join('.')
    const at = (name: string) => (field ? `${field}.${name}` : name)
    switch (error.keyword) {
      case 'required':
        return { description: at(String(error.params.missingProperty)), message: 'is required' }
      case 'additionalProperties':
        return {
          description: at(String(error.params.additionalProperty)),
          message: 'is not a known field',
        }
      case 'pattern': {
        const rule = schemaNode(schema, error.schemaPath).description
        return { description: field, message: `must be ${rule ?? `like ${error.params.pattern}`}` }
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
    return compiled ? [{ location, ...compiled }] : []
  })
  return {
    name: 'validateInput',
    before: ({ event }) => {
      const input = {
        params: event.pathParameters ?? {},
        query: event.queryStringParameters ?? {},
        body: event.parsedBody,
      }
      for (const { location, schema, validate } of checks) {
        if (location === 'body' && input.body === undefined) {
          if (route.optionalBody) continue
          throw invalidRequest('A request body is required.', [
            { description: 'body', message: 'is required' },
          ])
        }
        if (!validate(input[location])) {
          const errors = toFieldErrors(validate.errors ?? [], schema, location)
          const summary = errors.map((e) => `${e.description} ${e.message}`).join('; ')
          throw invalidRequest(`Invalid ${LOCATION_NAMES[location]}: ${summary}.`, errors)
        }
      }
      event.input = input as typeof event.input
    },
  }
}
