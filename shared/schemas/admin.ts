import {
  FORBIDDEN_CHARACTERS,
  nameString,
  pageQueryProperties,
  positiveIntegerString,
} from './common.js'

/** The admin view of a team's tokens: pages, one user's only, those expiring soon only. */
export const TeamTokensQuery = {
  $id: 'TeamTokensQuery',
  type: 'object',
  properties: {
    ...pageQueryProperties,
    user: nameString,
    expiring_within_days: {
      type: 'string',
      pattern: '^([1-9][0-9]{0,2}|[1-3][0-9]{3})$',
      description: 'an integer from 1 to 3999',
    },
  },
} as const

export const TeamUserTokenPath = {
  $id: 'TeamUserTokenPath',
  type: 'object',
  required: ['team', 'user', 'tokenId'],
  properties: { team: nameString, user: nameString, tokenId: positiveIntegerString },
} as const

/** The audit trail: pages, newest first, by event type, by actor, from a time on. */
export const AuditQuery = {
  $id: 'AuditQuery',
  type: 'object',
  properties: {
    ...pageQueryProperties,
    type: {
      type: 'string',
      pattern: '^[A-Z][A-Za-z]{0,63}$',
      description: 'an event type, e.g. AccessTokenDeleted',
    },
    actor: {
      type: 'string',
      minLength: 1,
      maxLength: 512,
      pattern: `^[^${FORBIDDEN_CHARACTERS}]*$`,
      description: 'an actor as events name it, e.g. admin or expiry',
    },
    since: {
      type: 'string',
      pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?Z$',
      description: 'an ISO-8601 UTC time, e.g. 2026-11-22T10:15:30.123Z',
    },
  },
} as const
