import type { IndexKey, Key } from './keys.js'

/**
 * The small declaration layer of the single table, after ElectroDB and
 * dynamodb-toolbox (whose bundles cost more than this whole file saves): each entity
 * is declared once, as data (its `kind`, key and attributes with their codecs), and
 * its record type, its item and its decoding are derived from that declaration.
 */
export type Item = Record<string, unknown>

/** How one field of a record is stored in an item, and read back. */
export interface Attribute<T> {
  /** The attributes to store for `value` under `name`; `undefined` ones are left out. */
  encode(value: T, name: string): Item
  /** The value held by `item`, tolerant of items written before the attribute existed. */
  decode(item: Item, name: string): T
  /** What the README's table design shows for it in a key (default `<name>`). */
  example?: unknown
  /** Read back from the item's key, so never stored as an attribute of its own. */
  fromKey?: true
}

// Method syntax makes `encode` bivariant, so any attribute fits here.
export type Attributes = Record<string, Attribute<unknown>>

/** The record an attribute map describes. */
export type RecordOf<A> = { [F in keyof A]: A[F] extends Attribute<infer T> ? T : never }

export interface EntityDeclaration<K extends string, A extends Attributes> {
  /** Stored in every item as `kind`: what the change stream reads to know the entity. */
  kind: K
  key: (record: RecordOf<A>) => Key
  attributes: A
  /** Epoch seconds after which DynamoDB's TTL removes the item, if ever. */
  ttl?: (record: RecordOf<A>) => number | undefined
  /** Its key in the table's one secondary index (sparse: only entities that declare one). */
  index?: (record: RecordOf<A>) => IndexKey
}

export interface Entity<K extends string, A extends Attributes> extends EntityDeclaration<K, A> {
  /** The whole item: key, kind, each attribute as its codec stores it, TTL. */
  item(record: RecordOf<A>): Item
  /** The record an item holds. */
  decode(item: Item): RecordOf<A>
  /** Some of the record, from an item that holds only those (an index's projection). */
  pick<F extends keyof A & string>(item: Item, names: readonly F[]): Pick<RecordOf<A>, F>
}

export function entity<const K extends string, A extends Attributes>(
  declaration: EntityDeclaration<K, A>,
): Entity<K, A> {
  const fields = Object.entries(declaration.attributes) as [string, Attribute<unknown>][]
  return {
    ...declaration,
    item(record) {
      const values = record as Record<string, unknown>
      const item: Item = { ...declaration.key(record), kind: declaration.kind }
      for (const [name, attribute] of fields) {
        for (const [stored, value] of Object.entries(attribute.encode(values[name], name))) {
          if (value !== undefined) item[stored] = value
        }
      }
      const ttl = declaration.ttl?.(record)
      if (ttl !== undefined) item.ttl = ttl
      if (declaration.index) Object.assign(item, declaration.index(record))
      return item
    },
    decode(item) {
      const record: Record<string, unknown> = {}
      for (const [name, attribute] of fields) record[name] = attribute.decode(item, name)
      return record as RecordOf<A>
    },
    pick(item, names) {
      const record: Record<string, unknown> = {}
      for (const name of names) record[name] = declaration.attributes[name]?.decode(item, name)
      return record as Pick<RecordOf<A>, (typeof names)[number]>
    },
  }
}

/** Epoch seconds of an ISO time, rounded up (TTL attributes are whole seconds). */
export const epochSeconds = (iso: string) => Math.ceil(Date.parse(iso) / 1000)
