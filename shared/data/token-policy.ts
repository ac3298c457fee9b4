/** The token policy's shape and defaults, free of I/O (the event mapping reads them too). */

/** A team's rules for personal tokens (API.md, Team token policy). */
export interface TokenPolicy {
  /** Personal tokens must expire within this many days; null: no limit. */
  maxLifetimeDays: number | null
  /** How many personal tokens one user may hold. */
  maxTokensPerUser: number
  /** The scopes members' tokens may hold; null: any their role allows. */
  allowedScopes: string[] | null
  /** Tokens unused this many days are revoked by the sweeper; null: never. */
  inactiveDays: number | null
}

/**
 * The default quota, and the most a policy may set. It bounds `GET /api/tokens` (one
 * unpaginated answer, as Tower's clients expect) in tokens; creates bound it in bytes
 * (LIST_BUDGET_BYTES, shared/domain/access-tokens.ts), since 1,000 of the largest
 * tokens would pass Lambda's 6 MB response limit.
 */
export const DEFAULT_MAX_TOKENS_PER_USER = 1000

export const DEFAULT_TOKEN_POLICY: TokenPolicy = {
  maxLifetimeDays: null,
  maxTokensPerUser: DEFAULT_MAX_TOKENS_PER_USER,
  allowedScopes: null,
  inactiveDays: null,
}
