import { AccessTokenPath, CreateAccessTokenBody } from './access-tokens.js'
import {
  CreateEnrollmentTokenBody,
  EnrollmentTokenPath,
  EnrollServerBody,
  ServerPath,
} from './enrollment.js'
import { TokenGrantBody, TokenGrantQuery } from './grants.js'
import { CreateProjectBody, PageQuery, ProjectPath } from './projects.js'
import { CreateServiceTokenBody, TeamPath } from './service-tokens.js'

export {
  AccessTokenPath,
  CreateAccessTokenBody,
  CreateEnrollmentTokenBody,
  CreateProjectBody,
  CreateServiceTokenBody,
  EnrollmentTokenPath,
  EnrollServerBody,
  PageQuery,
  ProjectPath,
  ServerPath,
  TeamPath,
  TokenGrantBody,
  TokenGrantQuery,
}

/** Every request schema, by `$id`: the input of the validator generator. */
export const schemas = [
  CreateAccessTokenBody,
  AccessTokenPath,
  TeamPath,
  CreateServiceTokenBody,
  ProjectPath,
  CreateProjectBody,
  PageQuery,
  TokenGrantBody,
  TokenGrantQuery,
  EnrollmentTokenPath,
  ServerPath,
  CreateEnrollmentTokenBody,
  EnrollServerBody,
] as const
