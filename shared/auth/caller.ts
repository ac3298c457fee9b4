import type { Role } from '../data/users.js'

/** Who is calling, as established by the authentication middleware. */
export interface UserCaller {
  kind: 'user'
  team: string
  username: string
  /**
   * How they proved it. A service token carries the role (signed an hour ago at most);
   * a personal token does not, so routes that need a role look it up.
   */
  credential:
    | { type: 'personal_token'; tokenId: number }
    | { type: 'service_token'; jti: string; role: Role }
}

export type Caller = UserCaller
