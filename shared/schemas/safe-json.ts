import { FORBIDDEN_CHARACTERS } from './common.js'

/**
 * A free-form JSON object a client may store with us (a server's `instance_details`,
 * a token's `meta`): bounded in depth, size and breadth, with keys and values that
 * DynamoDB and JavaScript hold exactly as sent. Every rule is plain JSON Schema
 * (plus `maxJsonLength`, a keyword scripts/build-validators.ts defines), so it is
 * compiled ahead of time like every other schema and its errors name the field.
 *
 * Numbers: finite, and 0 or of magnitude 1e-130 to 2^53 - 1. DynamoDB stores 38
 * digits from 1e-130 to 1e126, but the SDK marshals only safe integers without a
 * NumberValue wrapper and JSON.parse has already rounded anything longer, so larger
 * integers are refused rather than kept inexact. (Literals that do not survive as a
 * double at all, such as `1e999` or `9007199254740993`, are refused earlier, for
 * every body, by the strict JSON check in parse-body.)
 */
export interface SafeJsonLimits {
  /** Nesting, counting the object itself as 1. */
  maxDepth: number
  /** The whole object as JSON, in UTF-16 code units (JSON.stringify's length). */
  maxJsonLength: number
  maxKeys: number
  maxItems: number
  maxStringLength: number
  maxKeyLength: number
}

/** Keys that mean something to JavaScript objects: refused so no code path can be confused. */
export const RESERVED_KEYS = ['__proto__', 'constructor', 'prototype'] as const

const MAX_NUMBER = Number.MAX_SAFE_INTEGER
const MIN_MAGNITUDE = 1e-130

const keyRule = (limits: SafeJsonLimits) => ({
  type: 'string',
  minLength: 1,
  maxLength: limits.maxKeyLength,
  pattern: `^[^${FORBIDDEN_CHARACTERS}]*$`,
  not: { enum: RESERVED_KEYS },
  description: `1 to ${limits.maxKeyLength} characters without control characters, and not ${RESERVED_KEYS.join(', ')}`,
})

/** What strings and numbers must be, wherever they appear. */
const scalarRules = (limits: SafeJsonLimits) => ({
  maxLength: limits.maxStringLength,
  allOf: [
    {
      pattern: `^[^${FORBIDDEN_CHARACTERS}]*$`,
      description: 'text without control characters',
    },
    {
      maximum: MAX_NUMBER,
      minimum: -MAX_NUMBER,
      not: {
        type: 'number',
        exclusiveMinimum: -MIN_MAGNITUDE,
        exclusiveMaximum: MIN_MAGNITUDE,
        not: { const: 0 },
      },
      description: `a number that is 0 or of magnitude 1e-130 to ${MAX_NUMBER}`,
    },
  ],
})

/** Any JSON value inside: one recursive definition (depth is `maxDepth`'s business). */
const valueRules = (limits: SafeJsonLimits) => ({
  type: ['object', 'array', 'string', 'number', 'boolean', 'null'],
  ...scalarRules(limits),
  maxProperties: limits.maxKeys,
  propertyNames: keyRule(limits),
  additionalProperties: { $ref: '#/$defs/value' },
  maxItems: limits.maxItems,
  items: { $ref: '#/$defs/value' },
})

/**
 * The schema of a safe free-form JSON object, a resource of its own (`$id`) so its
 * values can refer to their own definition: the validator holds one function for
 * every level. `maxDepth` and `maxJsonLength` are keywords scripts/build-validators.ts
 * defines (parse-body has already bounded any body's nesting, so their recursion is
 * bounded too). Its TypeScript type (for the handler's input) is a plain record.
 */
export const safeJsonObject = ($id: string, limits: SafeJsonLimits) =>
  ({
    $id,
    type: 'object',
    maxDepth: limits.maxDepth,
    maxJsonLength: limits.maxJsonLength,
    maxProperties: limits.maxKeys,
    propertyNames: keyRule(limits),
    additionalProperties: { $ref: '#/$defs/value' },
    $defs: { value: valueRules(limits) },
  }) as unknown as { readonly type: 'object' }
