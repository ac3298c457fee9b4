/** The shape of ajv's standalone validators, without a runtime dependency on ajv. */
export interface SchemaError {
  instancePath: string
  schemaPath: string
  keyword: string
  params: Record<string, unknown>
  message?: string
  /** Set on the errors about an object's key, under `propertyNames`. */
  propertyName?: string
}

export type Validator = ((data: unknown) => boolean) & { errors?: SchemaError[] | null }

/** A request schema with its compiled validator (generated: shared/schemas/validators.gen.ts). */
export interface Compiled<S extends { $id: string } = { $id: string }> {
  readonly schema: S
  readonly validate: Validator
}
