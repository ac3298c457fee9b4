import * as source from './index.js'

/** A request schema: a JSON Schema with an `$id` (building blocks have none). */
export type RequestSchema = { readonly $id: string } & Record<string, unknown>

const isRequestSchema = (value: unknown): value is RequestSchema =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { $id?: unknown }).$id === 'string'

/** The exports of `./index.js` that are request schemas, with their export names. */
export const requestSchemas: [name: string, schema: RequestSchema][] = []
for (const [name, value] of Object.entries(source as Record<string, unknown>))
  if (isRequestSchema(value)) requestSchemas.push([name, value])
