import { AccessTokenPath, CreateAccessTokenBody } from './access-tokens.js'

/** Every request schema, by `$id`: the input of the validator generator. */
export const schemas = [CreateAccessTokenBody, AccessTokenPath] as const
