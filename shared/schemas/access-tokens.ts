import { displayText, positiveIntegerString } from './common.js'

export const CreateAccessTokenBody = {
  $id: 'CreateAccessTokenBody',
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: displayText(50),
    expiresInDays: { type: 'integer', minimum: 1, maximum: 3650 },
  },
} as const

export const AccessTokenPath = {
  $id: 'AccessTokenPath',
  type: 'object',
  required: ['tokenId'],
  properties: { tokenId: positiveIntegerString },
} as const
