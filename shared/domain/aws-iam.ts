import type { AwsIamClaim } from '../auth/caller.js'
import { askSts, checkSignedRequest, type SignedRequest } from '../aws/sts.js'
import { config } from '../context.js'
import { allCloudAccounts, type CloudAccountRecord } from '../data/cloud-accounts.js'
import { serviceOffline, unauthenticated } from '../errors.js'
import { log } from '../log.js'
import { sha256 } from '../tokens/crypto.js'
import { type AwsIdentity, admits, awsIdentity } from './cloud-accounts.js'

/** What a proved secretless enrollment writes: who, admitted by which account, and its replay guard. */
export interface AwsIamProof {
  identity: AwsIdentity
  account: CloudAccountRecord
  /** SHA-256 of the request's signature, remembered until `expiresAt` so it enrolls once. */
  signatureHash: string
  expiresAt: Date
}

/** STS being slow or throttled is ours to retry, not the agent's credential failing. */
const STS_RETRY_AFTER_SECONDS = 5

/** The enrollment 401, with the reason in the logs only (the answer is no oracle). */
export function refusedAwsIdentity(claim: AwsIamClaim, reason: string) {
  log('warn', 'secretless enrollment refused', { team: claim.team, project: claim.project, reason })
  return unauthenticated()
}

/**
 * Proves a secretless enrollment's claim: the signed request is checked with no I/O
 * (a bad one never leaves the function), then STS is asked who signed it while the
 * project's cloud accounts are read, and one of them must admit that identity.
 */
export async function proveAwsIdentity(
  claim: AwsIamClaim,
  request: SignedRequest,
  now = new Date(),
): Promise<AwsIamProof> {
  const checked = checkSignedRequest(request, `${claim.team}/${claim.project}`, now)
  if (!checked.ok) throw refusedAwsIdentity(claim, checked.reason)
  const [answer, accounts] = await Promise.all([
    askSts(checked.request, config().stsEndpoint),
    allCloudAccounts(claim.team, claim.project),
  ])
  if (answer.kind === 'unavailable') {
    log('warn', 'secretless enrollment: STS unavailable', { reason: answer.reason })
    throw serviceOffline(STS_RETRY_AFTER_SECONDS)
  }
  if (answer.kind === 'refused') throw refusedAwsIdentity(claim, answer.reason)
  const identity = awsIdentity(answer.account, answer.arn)
  const account = accounts.find((candidate) => admits(candidate, identity))
  if (!account) throw refusedAwsIdentity(claim, `${identity.arn} is not registered here`)
  return {
    identity,
    account,
    signatureHash: sha256(checked.request.signature),
    expiresAt: checked.request.expiresAt,
  }
}
