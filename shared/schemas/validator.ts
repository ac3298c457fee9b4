/** The shape of ajv's standalone validators, without a runtime dependency on ajv. */
export interface SchemaError {
  instancePath: string
  schemaPath: string
  keyword: string
  params: Record<string, unknown>
  message?: string
}

export type Validator = ((data: unknown) => boolean) & { errors?: SchemaError[] | null }
