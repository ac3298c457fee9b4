import type { Attribute } from './entity.js'

/**
 * How record fields are stored, one codec per constant: entities.ts imports them as
 * `attr`, and a bundle keeps only the codecs of the entities it uses.
 */

/** An attribute stored under its own name, as itself. */
export function plain<T>(decode: (stored: unknown) => T, encode: (value: T) => unknown = (v) => v) {
  const attribute: Attribute<T> = {
    encode: (value, name) => ({ [name]: encode(value) }),
    decode: (item, name) => decode(item[name]),
  }
  return attribute
}

const asText = (stored: unknown) => (typeof stored === 'string' ? stored : null)
const asNumber = (stored: unknown) => (typeof stored === 'number' ? stored : null)

export const text = /* @__PURE__ */ plain((stored) => String(stored))

/** Null in the record, absent in the item. */
export const optionalText = /* @__PURE__ */ plain(
  asText,
  (value: string | null) => value ?? undefined,
)

export const number = /* @__PURE__ */ plain((stored) => Number(stored))

export const optionalNumber = /* @__PURE__ */ plain(
  asNumber,
  (value: number | null) => value ?? undefined,
)

/** A counter that starts absent (zero) and is only ever incremented in place. */
export const count = /* @__PURE__ */ plain((stored) => asNumber(stored) ?? 0)

export const boolean = /* @__PURE__ */ plain((stored) => stored === true)

/** Null: not set (e.g. a token made without scopes, which means "everything"). */
export const optionalTextList = /* @__PURE__ */ plain(
  (stored) => (Array.isArray(stored) ? stored.map(String) : null),
  (value: string[] | null) => value ?? undefined,
)

export const textList = /* @__PURE__ */ plain((stored) =>
  Array.isArray(stored) ? stored.map(String) : [],
)

/** Free-form JSON kept as its text, so it comes back byte for byte as given. */
export const jsonText = /* @__PURE__ */ plain(
  (stored): Record<string, unknown> | null =>
    typeof stored === 'string' ? (JSON.parse(stored) as Record<string, unknown>) : null,
  (value: Record<string, unknown> | null) => (value ? JSON.stringify(value) : undefined),
)

/** A JSON object stored as a DynamoDB map. */
export const optionalMap = /* @__PURE__ */ plain(
  (stored): Record<string, unknown> | null =>
    stored !== null && typeof stored === 'object' && !Array.isArray(stored)
      ? (stored as Record<string, unknown>)
      : null,
  (value: Record<string, unknown> | null) => value ?? undefined,
)

/**
 * One of a closed set of strings; anything else reads as the first (the default).
 * Only for values where the first is the safe reading (a role: the lesser one).
 */
export const oneOf = <const V extends readonly [string, ...string[]]>(...values: V) =>
  plain((stored): V[number] =>
    values.includes(stored as string) ? (stored as V[number]) : values[0],
  )

/** A stored value outside an attribute's closed set: the item is not one this code can read. */
export class UnknownValue extends Error {
  constructor(value: unknown) {
    super(`unknown stored value ${JSON.stringify(value)}`)
    this.name = 'UnknownValue'
  }
}

/**
 * One of a closed set of strings, where no default is safe (what a deletion record
 * deleted): anything else throws UnknownValue, so the item is refused, not misread.
 */
export const exactlyOneOf = <const V extends readonly [string, ...string[]]>(...values: V) =>
  plain((stored): V[number] => {
    if (values.includes(stored as string)) return stored as V[number]
    throw new UnknownValue(stored)
  })

/** One of a closed set of strings, or null (absent). */
export const optionalOneOf = <const V extends readonly [string, ...string[]]>(...values: V) =>
  plain(
    (stored): V[number] | null =>
      values.includes(stored as string) ? (stored as V[number]) : null,
    (value: V[number] | null) => value ?? undefined,
  )
