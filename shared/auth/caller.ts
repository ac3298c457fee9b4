import type { TokenPage } from '../data/access-tokens.js'
import type { Role } from '../data/users.js'
import type { Scopes } from './scopes.js'

/** Who is calling, as established by the authentication middleware. */
export interface UserCaller {
  kind: 'user'
  team: string
  username: string
  /**
   * How they proved it. A service token carries the role (signed an hour ago at most);
   * a personal token does not, so on routes that check a role its user's item is read
   * with the token (the current role) and carried here.
   */
  credential:
    | { type: 'personal_token'; tokenId: number; role?: Role }
    | { type: 'service_token'; jti: string; role: Role }
  /** What the credential may do (scopes.ts); null: everything the role allows. */
  scopes: Scopes
  /** The first page of the caller's own tokens, read to authenticate (routes' `authReads`). */
  ownTokens?: TokenPage
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

/**
 * An agent enrolling with no credential but a signed sts:GetCallerIdentity request
 * in its body (secretless enrollment on AWS): a claim on the project in the path,
 * which the route proves (by asking STS) before it writes anything.
 */
export interface AwsIamClaim {
  kind: 'aws_iam'
  team: string
  project: string
}

/**
 * An enrolled server presenting its own token for the server in the path: checked
 * for form (and checksum) only. The secret is proved by the route's own conditional
 * write, which succeeds only on the stored hash, so a heartbeat is one call, not a
 * read and then a write. A route taking a claim must prove it before acting on it.
 */
export interface ServerClaim {
  kind: 'server'
  team: string
  project: string
  serverId: string
  secretHash: string
}

/** GitHub's secret scanning, proved by its signature of the request body. */
export interface GitHubCaller {
  kind: 'github'
  /** The identifier of the configured key that verified the signature. */
  keyId: string
}

export type Caller = UserCaller | EnrollmentCaller | AwsIamClaim | ServerClaim | GitHubCaller
