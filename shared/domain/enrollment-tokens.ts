import type { UserCaller } from '../auth/caller.js'
import {
  deleteEnrollmentToken,
  type EnrollmentTokenRecord,
  getEnrollmentToken,
  listEnrollmentTokens,
  putEnrollmentToken,
} from '../data/enrollment-tokens.js'
import { ranges } from '../data/keys.js'
import { notFound } from '../errors.js'
import { sealer } from '../keys/sealing.js'
import type { ServerEnrollmentToken } from '../schemas/views.js'
import { sha256 } from '../tokens/crypto.js'
import { issueEnrollmentToken } from '../tokens/enrollment-token.js'
import { uuidV7 } from '../tokens/uuid.js'
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
async function view(record: EnrollmentTokenRecord): Promise<ServerEnrollmentToken> {
  return {
    id: record.id,
    token: await sealer().unseal(record.sealed, sealContext(record)),
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
  const deleted = await deleteEnrollmentToken(
    caller.team,
    project,
    id,
    caller.username,
    now.toISOString(),
  )
  if (!deleted) throw notFound('The server enrollment token')
}
