import { nameString } from './common.js'

export const TeamPath = {
  $id: 'TeamPath',
  type: 'object',
  required: ['team'],
  properties: { team: nameString },
} as const

/** ASA's service user key pair: here, a personal token's id and the token itself. */
export const CreateServiceTokenBody = {
  $id: 'CreateServiceTokenBody',
  type: 'object',
  additionalProperties: false,
  required: ['key_id', 'key_secret'],
  properties: {
    key_id: { type: 'string', minLength: 1, maxLength: 32 },
    key_secret: { type: 'string', minLength: 1, maxLength: 512 },
  },
} as const
