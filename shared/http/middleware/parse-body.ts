import { invalidRequest, payloadTooLarge, unsupportedContentType } from '../../errors.js'
import type { BodyType, RouteSpec } from '../../routes.js'
import type { Middleware } from '../event.js'
import { findJsonProblem } from '../strict-json.js'

/** Far above any body of this API; a bound on what one request can make us parse. */
export const MAX_BODY_BYTES = 64 * 1024

const MEDIA_TYPES: Record<BodyType, string> = {
  json: 'application/json',
  form: 'application/x-www-form-urlencoded',
}

function parseForm(text: string): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const [key, value] of new URLSearchParams(text)) {
    if (Object.hasOwn(fields, key))
      throw invalidRequest(`The field ${key} is given more than once.`)
    fields[key] = value
  }
  return fields
}

function parseJson(text: string): unknown {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw invalidRequest('The request body is not valid JSON.')
  }
  // A duplicate key or an inexact number: a proxy and we could read different values.
  const problem = findJsonProblem(text)
  if (problem) {
    const field = problem.path || 'body'
    throw invalidRequest(`Invalid request body: ${field} ${problem.message}.`, [
      { description: field, message: problem.message },
    ])
  }
  return value
}

/**
 * Parses the body of routes that declare one, by Content-Type: JSON (also when no
 * type is given) and, where the route accepts it, form encoding. Routes without a
 * body schema ignore any body.
 */
export function parseBody(route: RouteSpec): Middleware {
  const accepted = route.bodyTypes ?? ['json']
  return {
    name: 'parseBody',
    before: ({ event }) => {
      if (!route.body) return
      const raw = event.body ?? ''
      const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8')
      const limit = route.maxBodyBytes ?? MAX_BODY_BYTES
      if (bytes.length > limit) throw payloadTooLarge(limit)
      const mediaType =
        (event.headers?.['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
      const text = bytes.toString('utf8')
      if (text.trim() === '') {
        event.parsedBody = undefined
        return
      }
      const isJson =
        mediaType === '' || mediaType === MEDIA_TYPES.json || mediaType.endsWith('+json')
      if (isJson && accepted.includes('json')) event.parsedBody = parseJson(text)
      else if (mediaType === MEDIA_TYPES.form && accepted.includes('form'))
        event.parsedBody = parseForm(text)
      else
        throw unsupportedContentType(
          mediaType,
          accepted.map((type) => MEDIA_TYPES[type]),
        )
    },
  }
}
