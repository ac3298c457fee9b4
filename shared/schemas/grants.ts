import { tokenExtensions } from './access-tokens.js'
import { displayText, nameString } from './common.js'

/**
 * Server Density's `POST /tokens` body (JSON or form). Which fields are required
 * depends on the grant (password, or an existing token), so the domain checks that;
 * this schema fixes what each field may be.
 */
export const TokenGrantBody = {
  $id: 'TokenGrantBody',
  type: 'object',
  additionalProperties: false,
  properties: {
    username: nameString,
    password: { type: 'string', minLength: 1, maxLength: 1024 },
    accountName: nameString,
    tokenName: displayText(50),
    // JSON bodies only: a form has no arrays or objects, so these fail validation there.
    ...tokenExtensions('GrantMeta'),
  },
} as const

/** `tokenName` may come in the query instead; `token` is read by authentication. */
export const TokenGrantQuery = {
  $id: 'TokenGrantQuery',
  type: 'object',
  properties: {
    token: { type: 'string' },
    tokenName: displayText(50),
  },
} as const
