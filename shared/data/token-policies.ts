import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb'
import { db, table } from './client.js'
import { TokenPolicy as TokenPolicyItem } from './entities.js'
import { keys } from './keys.js'
import {
  DEFAULT_MAX_TOKENS_PER_USER,
  DEFAULT_TOKEN_POLICY,
  type TokenPolicy,
} from './token-policy.js'

export { DEFAULT_MAX_TOKENS_PER_USER, DEFAULT_TOKEN_POLICY, type TokenPolicy }

/** The policy an item holds, as its declaration reads it; no item: the defaults. */
function fromItem(item: Record<string, unknown> | undefined): TokenPolicy {
  if (!item) return DEFAULT_TOKEN_POLICY
  const { maxLifetimeDays, maxTokensPerUser, allowedScopes, inactiveDays } =
    TokenPolicyItem.decode(item)
  return {
    maxLifetimeDays,
    maxTokensPerUser: maxTokensPerUser ?? DEFAULT_MAX_TOKENS_PER_USER,
    allowedScopes,
    inactiveDays,
  }
}

/**
 * The team's token policy (the defaults when none was set): one strongly consistent
 * GetItem, so a create right after a change obeys it. Also the typed reader the
 * sweeper uses for `inactiveDays`.
 */
export async function getTokenPolicy(team: string): Promise<TokenPolicy> {
  const { Item } = await db().send(
    new GetCommand({ TableName: table(), Key: keys.tokenPolicy(team), ConsistentRead: true }),
  )
  return fromItem(Item)
}

/**
 * Replaces the team's policy, recording who and when (the change stream publishes
 * TokenPolicyChanged from it, with the old and new values). One PutItem; the caller
 * was authorised as an admin of the team, so the team exists.
 */
export async function putTokenPolicy(
  team: string,
  policy: TokenPolicy,
  updatedBy: string,
  updatedAt: string,
): Promise<void> {
  await db().send(
    new PutCommand({
      TableName: table(),
      Item: TokenPolicyItem.item({ team, ...policy, updatedBy, updatedAt }),
    }),
  )
}
