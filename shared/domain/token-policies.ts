import type { UserCaller } from '../auth/caller.js'
import { DEFAULT_TOKEN_POLICY, getTokenPolicy, putTokenPolicy } from '../data/token-policies.js'
import type { TokenPolicy } from '../data/token-policy.js'
import type { TokenPolicyAnswer } from '../schemas/views.js'

/** A PUT's body: every field optional; one left out takes its default. */
export type TokenPolicyChange = Partial<TokenPolicy>

export const tokenPolicyView = (policy: TokenPolicy): TokenPolicyAnswer => ({
  ...policy,
  allowedScopes: policy.allowedScopes === null ? null : [...policy.allowedScopes],
})

/** The team's policy (the defaults until an admin sets one): one GetItem. */
export const readTeamTokenPolicy = async (team: string) =>
  tokenPolicyView(await getTokenPolicy(team))

/**
 * Replaces the team's policy (admins): one PutItem. It binds tokens made from now on;
 * tokens that exist keep their expiry and scopes (the sweeper applies `inactiveDays`).
 */
export async function setTeamTokenPolicy(
  by: Pick<UserCaller, 'team' | 'username'>,
  change: TokenPolicyChange,
  now = new Date(),
): Promise<TokenPolicyAnswer> {
  const policy: TokenPolicy = {
    maxLifetimeDays: change.maxLifetimeDays ?? DEFAULT_TOKEN_POLICY.maxLifetimeDays,
    maxTokensPerUser: change.maxTokensPerUser ?? DEFAULT_TOKEN_POLICY.maxTokensPerUser,
    allowedScopes: change.allowedScopes ? [...change.allowedScopes] : null, // unique (schema)
    inactiveDays: change.inactiveDays ?? DEFAULT_TOKEN_POLICY.inactiveDays,
  }
  await putTokenPolicy(by.team, policy, by.username, now.toISOString())
  return tokenPolicyView(policy)
}
