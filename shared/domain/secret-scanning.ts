import { createHash, verify } from 'node:crypto'
import type { GitHubCaller } from '../auth/caller.js'
import { accessTokenFromItem, markAccessTokenLeaked } from '../data/access-tokens.js'
import { getAll, keyString } from '../data/batch.js'
import { enrollmentTokenFromItem } from '../data/enrollment-tokens.js'
import { type Key, keys } from '../data/keys.js'
import { serverFromItem } from '../data/servers.js'
import { revokedThroughOf } from '../data/token-revocation.js'
import { deleteLeaked } from '../data/tombstones.js'
import { unauthenticated } from '../errors.js'
import { log } from '../log.js'
import { sha256 } from '../tokens/crypto.js'
import { parseEnrollmentToken } from '../tokens/enrollment-token.js'
import { parsePersonalToken } from '../tokens/personal-token.js'
import { parseServerToken } from '../tokens/server-token.js'
import { secretMatches } from './access-tokens.js'

/** One entry of GitHub's secret-scanning partner request. */
export interface LeakReport {
  token: string
  type: string
  url?: string
  source?: string
}

/** GitHub's false-positive feedback, one per reported token. */
export interface LeakFeedback {
  token_hash: string
  token_type: string
  label: 'true_positive' | 'false_positive'
}

/**
 * Checks GitHub's signature of a request: ECDSA P-256 over SHA-256 of the raw body,
 * DER in base64, by the key the identifier names among the configured ones. Any
 * problem (no such key, bad encoding, wrong signature) is the one 401.
 */
export function verifyGitHubSignature(
  body: Buffer,
  keyId: string | undefined,
  signature: string | undefined,
  publicKeys: ReadonlyMap<string, string>,
): GitHubCaller {
  const key = keyId ? publicKeys.get(keyId) : undefined
  if (!key || !keyId || !signature || !/^[A-Za-z0-9+/]+={0,2}$/.test(signature))
    throw unauthenticated()
  const signed = verify(
    'sha256',
    body,
    { key, dsaEncoding: 'der' },
    Buffer.from(signature, 'base64'),
  )
  if (!signed) throw unauthenticated()
  return { kind: 'github', keyId }
}

/** A reported token we issued, by where its record lives; undefined for anything else. */
type Candidate =
  | { kind: 'personal'; key: Key; mark: Key; hash: string }
  | { kind: 'server'; key: Key; hash: string }
  | { kind: 'enrollment'; key: Key; hash: string }

/** Form and checksum only: garbage and other services' tokens cost no I/O. */
function candidateOf(token: string): Candidate | undefined {
  if (token.startsWith('lks_')) {
    const server = parseServerToken(token)
    return (
      server && {
        kind: 'server',
        key: keys.server(server.team, server.project, server.id),
        hash: sha256(server.secret),
      }
    )
  }
  if (token.startsWith('lk_')) {
    const personal = parsePersonalToken(token)
    return (
      personal && {
        kind: 'personal',
        key: keys.accessToken(personal.team, personal.username, personal.id),
        mark: keys.tokenRevocation(personal.team, personal.username),
        hash: sha256(personal.secret),
      }
    )
  }
  const enrollment = parseEnrollmentToken(token)
  return (
    enrollment && {
      kind: 'enrollment',
      key: keys.enrollmentToken(enrollment.team, enrollment.project, enrollment.id),
      hash: sha256(enrollment.secret),
    }
  )
}

/** The revocation mark a personal token's user may have (delete-all); none for the others. */
const markOf = (candidate: Candidate): Key[] =>
  candidate.kind === 'personal' ? [candidate.mark] : []

const active = (expiresAt: string | null, now: Date) =>
  expiresAt === null || Date.parse(expiresAt) > now.getTime()

/** Revokes one reported token if it is one of ours and still works; true when it did. */
async function revoke(
  candidate: Candidate,
  item: Record<string, unknown> | undefined,
  leak: { url: string; source: string },
  now: Date,
): Promise<boolean> {
  if (!item) return false
  const at = now.toISOString()
  const { hash } = candidate
  if (candidate.kind === 'personal') {
    const token = accessTokenFromItem(item)
    if (token.leakedAt || !secretMatches(token, hash, now) || !active(token.expiresAt, now))
      return false
    return markAccessTokenLeaked(token.team, token.username, token.id, hash, leak, at)
  }
  if (candidate.kind === 'server') {
    const server = serverFromItem(item)
    if (!secretMatches(server, hash, now)) return false
    const { team, project, id, secretHash } = server
    const deletion = { entity: 'Server' as const, team, project, id, deletedAt: at, secretHash }
    return deleteLeaked(candidate.key, deletion, { ...leak, hash })
  }
  const token = enrollmentTokenFromItem(item)
  if (!secretMatches(token, hash, now) || !active(token.expiresAt, now)) return false
  const { team, project, id } = token
  const deletion = { entity: 'EnrollmentToken' as const, team, project, id, deletedAt: at }
  return deleteLeaked(candidate.key, deletion, { ...leak, hash })
}

/** How many revocations run at once: enough for 1,000 in a few seconds, gentle on the table. */
const IN_FLIGHT = 16

/**
 * Handles GitHub's report (API.md, Leak revocation): every reported token of ours
 * that still works, of any team, is revoked at once (AccessTokenLeaked names where it
 * was found); the answer labels each `true_positive` (it worked until now) or
 * `false_positive`. Garbage costs nothing; our tokens are read together (BatchGetItem,
 * 100 a call), then each live one is revoked with one conditional write.
 */
export async function revokeLeakedTokens(
  reports: readonly LeakReport[],
  now = new Date(),
): Promise<LeakFeedback[]> {
  const candidates = reports.map((report) => candidateOf(report.token))
  // A personal token's user's revocation mark comes in the same reads: a token a
  // delete-all revoked (there until the stream deletes it) works no more.
  const found = await getAll(
    candidates.flatMap((candidate) => (candidate ? [candidate.key, ...markOf(candidate)] : [])),
  )
  const labels: boolean[] = new Array(reports.length).fill(false)
  // A token reported more than once is revoked once, and labelled alike each time: two
  // writes of one token would race, and the loser's entry would read false_positive.
  const first = new Map<string, number>()
  reports.forEach((report, i) => {
    if (!first.has(report.token)) first.set(report.token, i)
  })
  let next = 0
  const worker = async () => {
    for (let i = next++; i < reports.length; i = next++) {
      const candidate = candidates[i]
      const report = reports[i]
      if (!candidate || !report || first.get(report.token) !== i) continue
      const leak = { url: report.url ?? '', source: report.source ?? '' }
      const item = found.get(keyString(candidate.key))
      const revokedThrough = revokedThroughOf(
        markOf(candidate).map((key) => found.get(keyString(key)))[0],
      )
      const live = item && !(candidate.kind === 'personal' && Number(item.id) <= revokedThrough)
      labels[i] = await revoke(candidate, live ? item : undefined, leak, now)
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
  const revoked = labels.filter(Boolean).length
  log('info', 'leak report handled', { reported: reports.length, revoked })
  return reports.map((report) => ({
    token_hash: createHash('sha256').update(report.token, 'utf8').digest('hex'),
    token_type: report.type,
    label: labels[first.get(report.token) ?? -1] ? 'true_positive' : 'false_positive',
  }))
}
