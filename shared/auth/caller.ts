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

/** An agent presenting a server enrollment token for the project in the path. */
export interface EnrollmentCaller {
  kind: 'enrollment'
  team: string
  project: string
  tokenId: string
  /** What the enrollment transaction re-checks, so a token deleted meanwhile can't enroll. */
  secretHash: string
}

/** An enrolled server presenting its own token. */
export interface ServerCaller {
  kind: 'server'
  team: string
  project: string
  serverId: string
}

export type Caller = UserCaller | EnrollmentCaller | ServerCaller
