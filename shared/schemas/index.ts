import { AccessTokenPath, CreateAccessTokenBody } from './access-tokens.js'
import { CreateServiceTokenBody, TeamPath } from './service-tokens.js'

/** Every request schema, by `$id`: the input of the validator generator. */
export const schemas = [
  CreateAccessTokenBody,
  AccessTokenPath,
  TeamPath,
  CreateServiceTokenBody,
] as const
