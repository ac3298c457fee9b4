import { NAME_PATTERN } from '../names.js'
import { routedTokenFormat } from './routed-token.js'

/**
 * Personal access token: `lk_<base62 team:username:id>_<secret><checksum>` (see
 * routed-token.ts). URL-safe, because Server Density clients send it in the query.
 */
export interface PersonalTokenRef {
  team: string
  username: string
  id: number
}

const format = routedTokenFormat('lk_', 3)
const MAX_ID = Number.MAX_SAFE_INTEGER

export function issuePersonalToken(ref: PersonalTokenRef): { token: string; secret: string } {
  return format.issue([ref.team, ref.username, String(ref.id)])
}

/** The token's parts, or undefined for anything that is not a well-formed token. */
export function parsePersonalToken(
  token: string,
): (PersonalTokenRef & { secret: string }) | undefined {
  const parsed = format.parse(token)
  if (!parsed) return undefined
  const [team = '', username = '', idText = ''] = parsed.fields
  const id = Number(idText)
  if (!NAME_PATTERN.test(team) || !NAME_PATTERN.test(username)) return undefined
  if (!/^[1-9][0-9]*$/.test(idText) || id > MAX_ID) return undefined
  return { team, username, id, secret: parsed.secret }
}
