import { NAME_PATTERN_SOURCE, NAME_RULE } from '../names.js'

/**
 * Building blocks for request schemas. Schemas are the contract: they are compiled
 * ahead of time into validators (scripts/build-validators.ts) and the handlers' input
 * types are derived from them with json-schema-to-ts. A pattern's `description` is
 * the sentence shown when a value does not match it.
 */
export const nameString = {
  type: 'string',
  pattern: NAME_PATTERN_SOURCE,
  description: NAME_RULE,
} as const

export const positiveIntegerString = {
  type: 'string',
  pattern: '^[1-9][0-9]{0,14}$',
  description: 'a positive integer',
} as const

/**
 * Characters no name or text may hold: C0 and C1 controls (NUL, ESC and the terminal
 * escapes they start), DEL, and UTF-16 surrogates. Validators run with the `u` flag, so
 * a correctly paired surrogate is one code point outside this class and only a lone
 * (unpaired) surrogate matches it.
 */
export const FORBIDDEN_CHARACTERS = '\\u0000-\\u001f\\u007f-\\u009f\\ud800-\\udfff'

/** Free text a person types: no control characters or lone surrogates, not blank. */
export const displayText = (maxLength: number) =>
  ({
    type: 'string',
    minLength: 1,
    maxLength,
    pattern: `^[^${FORBIDDEN_CHARACTERS}]*[^\\s${FORBIDDEN_CHARACTERS}][^${FORBIDDEN_CHARACTERS}]*$`,
    description: 'text without control characters, not only spaces',
  }) as const

/**
 * `count` and `offset` of every `/v1` list. Query values are strings (no coercion);
 * other query parameters (e.g. `token`) pass through for the authentication step.
 */
export const pageQueryProperties = {
  count: {
    type: 'string',
    pattern: '^(1000|[1-9][0-9]{0,2})$',
    description: 'an integer from 1 to 1000',
  },
  offset: { type: 'string', minLength: 1, maxLength: 2048 },
} as const
