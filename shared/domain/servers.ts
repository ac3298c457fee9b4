import type { AwsIamClaim, EnrollmentCaller, ServerClaim, UserCaller } from '../auth/caller.js'
import type { SignedRequest } from '../aws/sts.js'
import { ranges } from '../data/keys.js'
import {
  deleteServer,
  enrollServer,
  enrollServerByAwsIdentity,
  getRevokedServerHash,
  getServer,
  listServers,
  rotateServerToken,
  type ServerRecord,
  serverStanding,
  touchServer,
} from '../data/servers.js'
import { DomainError, invalidRequest, notFound, unauthenticated } from '../errors.js'
import { putMetric } from '../metrics.js'
import type { Enrolled, Server } from '../schemas/views.js'
import { hashesMatch, sha256 } from '../tokens/crypto.js'
import { parseEnrollmentToken } from '../tokens/enrollment-token.js'
import { issueServerToken, parseServerToken } from '../tokens/server-token.js'
import { uuidV7 } from '../tokens/uuid.js'
import { newSecret, secretMatches } from './access-tokens.js'
import { type AwsIamProof, proveAwsIdentity, refusedAwsIdentity } from './aws-iam.js'
import type { Page, PageQuery } from './pagination.js'
import { projectChildrenPage } from './projects.js'

export interface Enrollment {
  hostname: string
  os?: string
  canonical_name?: string
  instance_details?: Record<string, unknown>
  /** Secretless enrollment: a signed sts:GetCallerIdentity request instead of a token. */
  aws_iam?: SignedRequest
}

/** ASA-style Server; `instance_details` is an extension. */
export const serverView = (server: ServerRecord): Server => ({
  id: server.id,
  hostname: server.hostname,
  os: server.os,
  canonical_name: server.canonicalName,
  project_name: server.project,
  team_name: server.team,
  enrollment_token_id: server.enrollmentTokenId,
  registered_at: server.registeredAt,
  last_seen: server.lastSeen,
  instance_details: server.instanceDetails,
  cloud_provider: server.cloudProvider,
  cloud_account: server.cloudAccount,
  instance_id: server.instanceId,
})

/** What the enrollment route's path names: the token must be for exactly this project. */
export interface ProjectRef {
  team: string
  project: string
}

/**
 * An enrollment token as a claim on the project in the path: its form and path are
 * checked here (no call); its secret, expiry and remaining uses are proved by the
 * enrollment's transaction, which re-checks them all, so the valid path is one call.
 * Malformed, foreign, unknown, deleted, expired and used-up tokens are all the same 401.
 */
export function claimEnrollmentToken(presented: string, path: ProjectRef): EnrollmentCaller {
  const parsed = parseEnrollmentToken(presented)
  if (!parsed || parsed.team !== path.team || parsed.project !== path.project)
    throw unauthenticated()
  return {
    kind: 'enrollment',
    team: parsed.team,
    project: parsed.project,
    tokenId: parsed.id,
    secretHash: sha256(parsed.secret),
  }
}

/** A new server's record, and its token, which exists in clear only in the answer. */
function newServer(
  ref: ProjectRef,
  request: Enrollment,
  origin: Pick<
    ServerRecord,
    'enrollmentTokenId' | 'cloudProvider' | 'cloudAccount' | 'instanceId' | 'cloudArn'
  >,
  now: Date,
) {
  const { team, project } = ref
  const id = uuidV7(now.getTime())
  const { token, secret } = issueServerToken({ team, project, id })
  const server: ServerRecord = {
    team,
    project,
    id,
    hostname: request.hostname,
    os: request.os ?? null,
    canonicalName: request.canonical_name ?? null,
    instanceDetails: request.instance_details ?? null,
    ...origin,
    registeredAt: now.toISOString(),
    lastSeen: null,
    secretHash: sha256(secret),
    previousHash: null,
    previousValidUntil: null,
    rotatedAt: null,
  }
  return { server, token }
}

/**
 * Enrolls a server, with an enrollment token or a proved AWS identity: one
 * transaction either way; the server token exists in clear only in the answer.
 */
export async function enroll(
  caller: EnrollmentCaller | AwsIamClaim,
  request: Enrollment,
  now = new Date(),
): Promise<Enrolled> {
  if (caller.kind === 'aws_iam') return enrollByAwsIdentity(caller, request, now)
  if (request.aws_iam)
    throw invalidRequest('Send an enrollment token or aws_iam, not both.', [
      { description: 'aws_iam', message: 'not with an enrollment token' },
    ])
  const noCloud = { cloudProvider: null, cloudAccount: null, instanceId: null, cloudArn: null }
  const origin = { enrollmentTokenId: caller.tokenId, ...noCloud }
  const { server, token } = newServer(caller, request, origin, now)
  // Refused: an unknown, deleted, expired or used-up token, a wrong secret, or a closing
  // project; all one 401, as the route promises.
  if (!(await enrollServer(server, caller, now.toISOString()))) throw unauthenticated()
  putMetric('Enrollments')
  return { server: serverView(server), server_token: token }
}

/** An EC2 instance role's session is named after the instance. */
const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/

async function enrollByAwsIdentity(
  claim: AwsIamClaim,
  request: Enrollment,
  now: Date,
): Promise<Enrolled> {
  if (!request.aws_iam) throw refusedAwsIdentity(claim, 'no aws_iam')
  const proof: AwsIamProof = await proveAwsIdentity(claim, request.aws_iam, now)
  const { identity } = proof
  const origin = {
    enrollmentTokenId: null,
    cloudProvider: 'aws' as const,
    cloudAccount: identity.account,
    instanceId: identity.session && INSTANCE_ID.test(identity.session) ? identity.session : null,
    cloudArn: identity.arn,
  }
  const { server, token } = newServer(claim, request, origin, now)
  const refusal = await enrollServerByAwsIdentity(server, proof, now)
  if (refusal) throw refusedAwsIdentity(claim, refusal)
  putMetric('Enrollments')
  return { server: serverView(server), server_token: token }
}

export const serverRevoked = () =>
  new DomainError('server_authorization_revoked', 'This server was deleted; enroll it again.')

/**
 * A server's own token as a claim on the server in the path: its form, checksum and
 * path are checked here (no call); its secret is proved by the route's write.
 */
export function claimServer(
  presented: string,
  path: ProjectRef & { serverId: string },
): ServerClaim {
  const parsed = parseServerToken(presented)
  if (
    !parsed ||
    parsed.team !== path.team ||
    parsed.project !== path.project ||
    parsed.id !== path.serverId
  )
    throw unauthenticated()
  const { team, project, id } = parsed
  return { kind: 'server', team, project, serverId: id, secretHash: sha256(parsed.secret) }
}

/**
 * Records a heartbeat: first one BatchGetItem of the project, the server and its
 * deletion record, then, only while the project is open and the server there, one
 * UpdateItem that succeeds only on this token's hash, which is the token's proof. A
 * refused heartbeat writes nothing. A genuine token of a deleted server, or of a
 * server whose project is being deleted, is told it was revoked; anything else is the
 * plain 401. (Not one transaction with the project: every heartbeat of a project
 * would then lock the one project item, and concurrent ones would cancel one another.)
 */
export async function heartbeat(claim: ServerClaim, now = new Date()): Promise<void> {
  const { team, project, serverId, secretHash } = claim
  const standing = await serverStanding(team, project, serverId)
  if (!standing.open || !standing.server) {
    const revoked = standing.revokedHash
    const genuine =
      (standing.server !== undefined && secretMatches(standing.server, secretHash, now)) ||
      (revoked !== undefined && hashesMatch(revoked, secretHash))
    throw genuine ? serverRevoked() : unauthenticated()
  }
  if (!(await touchServer(team, project, serverId, secretHash, now.toISOString())))
    throw unauthenticated()
}

/**
 * A server's new token, proved by its current one (API.md, Rotation): one transaction
 * (the server's UpdateItem, its project checked open), so an agent can rotate on a
 * schedule. The old token keeps working for `graceSeconds`. A genuine token of a
 * deleted server, or of a project being deleted, is told it was revoked.
 */
export async function rotateOwnServerToken(
  claim: ServerClaim,
  graceSeconds: number,
  now = new Date(),
): Promise<string> {
  const { team, project, serverId, secretHash } = claim
  const { token, secret } = issueServerToken({ team, project, id: serverId })
  const secretNow = newSecret(secret, graceSeconds, now)
  const outcome = await rotateServerToken(team, project, serverId, secretHash, secretNow)
  if (outcome === 'rotated') return token
  if (outcome === 'project deleted') throw serverRevoked()
  const revoked = await getRevokedServerHash(team, project, serverId)
  if (revoked && hashesMatch(revoked, secretHash)) throw serverRevoked()
  throw unauthenticated()
}

/** A server of an open project (a project being deleted has none left to show). */
async function openServer(team: string, project: string, id: string) {
  const { server, open } = await getServer(team, project, id)
  if (!server || !open) throw notFound('The server')
  return server
}

export async function fetchServer(team: string, project: string, id: string) {
  return serverView(await openServer(team, project, id))
}

export const listProjectServers = (
  team: string,
  project: string,
  query: PageQuery,
): Promise<Page<Server>> =>
  projectChildrenPage(
    team,
    project,
    ranges.servers(team, project),
    query,
    (count, after) => listServers(team, project, count, after),
    serverView,
  )

export async function removeServer(
  caller: UserCaller,
  project: string,
  id: string,
  now = new Date(),
) {
  const server = await openServer(caller.team, project, id)
  if (!(await deleteServer(server, caller.username, now.toISOString())))
    throw notFound('The server')
}
