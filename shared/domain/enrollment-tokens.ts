import type { UserCaller } from '../auth/caller.js'
import {
  deleteEnrollmentToken,
  type EnrollmentTokenRecord,
  getEnrollmentToken,
  listEnrollmentTokens,
  putEnrollmentToken,
  readEnrollmentToken,
  rotateEnrollmentToken,
} from '../data/enrollment-tokens.js'
import { ranges } from '../data/keys.js'
import { notFound } from '../errors.js'
import { sealer } from '../keys/sealing.js'
import type { ServerEnrollmentToken } from '../schemas/views.js'
import { sha256 } from '../tokens/crypto.js'
import { issueEnrollmentToken } from '../tokens/enrollment-token.js'
import { uuidV7 } from '../tokens/uuid.js'
import { newSecret } from './access-tokens.js'
import type { Page, PageQuery } from './pagination.js'
import { projectChildrenPage } from './projects.js'

export interface NewEnrollmentToken {
  description: string
  expires_in_seconds?: number
  max_uses?: number
}

/** The sealed value opens only on its own record. */
const sealContext = (token: { team: string; project: string; id: string }) => ({
  team: token.team,
  project: token.project,
  id: token.id,
})

/** ASA's ServerEnrollmentToken, with our extensions; `token` is unsealed for the answer. */
const view = async (record: EnrollmentTokenRecord) =>
  viewWith(record, await sealer().unseal(record.sealed, sealContext(record)))

function viewWith(record: EnrollmentTokenRecord, token: string): ServerEnrollmentToken {
  return {
    id: record.id,
    token,
    description: record.description,
    created_by_user: record.createdBy,
    issued_at: record.issuedAt,
    expires_at: record.expiresAt,
    max_uses: record.maxUses,
    uses: record.uses,
    last_used_at: record.lastUsedAt,
  }
}

export async function createEnrollmentToken(
  caller: UserCaller,
  project: string,
  request: NewEnrollmentToken,
  baseUrl: string,
  now = new Date(),
): Promise<ServerEnrollmentToken> {
  const ref = { team: caller.team, project, id: uuidV7(now.getTime()) }
  const { token, secret } = issueEnrollmentToken(ref, baseUrl)
  const record: EnrollmentTokenRecord = {
    ...ref,
    description: request.description,
    createdBy: caller.username,
    issuedAt: now.toISOString(),
    expiresAt: request.expires_in_seconds
      ? new Date(now.getTime() + request.expires_in_seconds * 1000).toISOString()
      : null,
    maxUses: request.max_uses ?? null,
    uses: 0,
    lastUsedAt: null,
    secretHash: sha256(secret),
    previousHash: null,
    previousValidUntil: null,
    rotatedAt: null,
    rotatedBy: null,
    sealed: await sealer().seal(token, sealContext(ref)),
  }
  if (!(await putEnrollmentToken(record))) throw notFound('The project')
  return view(record)
}

export async function fetchEnrollmentToken(team: string, project: string, id: string) {
  const record = await getEnrollmentToken(team, project, id)
  if (!record) throw notFound('The server enrollment token')
  return view(record)
}

export const listProjectEnrollmentTokens = (
  team: string,
  project: string,
  query: PageQuery,
): Promise<Page<ServerEnrollmentToken>> =>
  projectChildrenPage(
    team,
    project,
    ranges.enrollmentTokens(team, project),
    query,
    (count, after) => listEnrollmentTokens(team, project, count, after),
    view,
  )

export async function deleteProjectEnrollmentToken(
  caller: UserCaller,
  project: string,
  id: string,
  now = new Date(),
): Promise<void> {
  const refused = await deleteEnrollmentToken(
    caller.team,
    project,
    id,
    caller.username,
    now.toISOString(),
  )
  if (refused === 'project') throw notFound('The project')
  if (refused) throw notFound('The server enrollment token')
}

/**
 * A new value for an enrollment token (admins): the token read with its project (one
 * BatchGetItem: a missing token or a project being deleted is a 404 before any sealing),
 * then a new secret, sealed anew, in one transaction with the project still open; the
 * old value enrolls until the grace period ends (0: not at all).
 */
export async function rotateProjectEnrollmentToken(
  caller: UserCaller,
  project: string,
  id: string,
  graceSeconds: number,
  baseUrl: string,
  now = new Date(),
): Promise<ServerEnrollmentToken> {
  const found = await readEnrollmentToken(caller.team, project, id)
  if (!found.open) throw notFound('The project')
  if (!found.token) throw notFound('The server enrollment token')
  const ref = { team: caller.team, project, id }
  const { token, secret } = issueEnrollmentToken(ref, baseUrl)
  const sealed = await sealer().seal(token, sealContext(ref))
  const refused = await rotateEnrollmentToken(caller.team, project, id, {
    ...newSecret(secret, graceSeconds, now),
    sealed,
    by: caller.username,
  })
  if (refused === 'project') throw notFound('The project')
  if (refused) throw notFound('The server enrollment token')
  // What the answer shows is not what rotation changes: the record as read, the new value.
  return viewWith(found.token, token)
}
