import type { AttributeValue } from '@aws-sdk/client-dynamodb'
import { unmarshall } from '@aws-sdk/util-dynamodb'
import { ENTITIES, type EntityKind, kindOf, type RecordOfKind } from '../data/entities.js'
import { PROJECT_DEFAULTS, PROJECT_SETTING_NAMES } from '../data/project-settings.js'
import { DEFAULT_TOKEN_POLICY } from '../data/token-policy.js'

/** The contract's event types (API.md, Events). */
export type EventType =
  | 'AccessTokenCreated'
  | 'AccessTokenDeleted'
  | 'EnrollmentTokenCreated'
  | 'EnrollmentTokenDeleted'
  | 'ServerEnrolled'
  | 'ServerDeleted'
  | 'ProjectCreated'
  | 'ProjectDeleted'
  | 'ProjectUpdated'
  | 'CloudAccountAdded'
  | 'CloudAccountRemoved'
  | 'AccessTokenExpiringSoon'
  | 'AccessTokenExpired'
  | 'AccessTokenRevokedForInactivity'
  | 'AccessTokenRotated'
  | 'AccessTokenLeaked'
  | 'TokenPolicyChanged'

/**
 * One change, as published: ids, team, project, actor and time, never a secret or a
 * hash (each mapping below picks its fields by name). `id` is the stream record's
 * id, so a consumer can drop the duplicates an at-least-once pipeline may deliver.
 */
export interface DomainEvent {
  id: string
  type: EventType
  time: string
  detail: {
    team: string
    project?: string
    actor: string
    [field: string]: DetailValue
  }
}

/** A value in an event's detail: plain JSON, e.g. a project's changed settings. */
export type DetailValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | { [key: string]: DetailValue }

/** A change-stream record as Lambda delivers it (and as the local poller rebuilds it). */
export interface StreamRecord {
  eventID?: string
  eventName?: 'INSERT' | 'MODIFY' | 'REMOVE'
  userIdentity?: { type?: string; principalId?: string }
  dynamodb?: {
    ApproximateCreationDateTime?: number
    NewImage?: Record<string, AttributeValue>
    OldImage?: Record<string, AttributeValue>
    SequenceNumber?: string
  }
}

type Event = Omit<DomainEvent, 'id'>
const orNull = <T>(value: T | null | undefined) => value ?? null

/** TTL deletions are made by DynamoDB itself, not by a caller. */
const byTtl = (record: StreamRecord) =>
  record.userIdentity?.type === 'Service' &&
  record.userIdentity.principalId === 'dynamodb.amazonaws.com'

/**
 * What each entity publishes, by the change the stream shows. Method syntax on
 * purpose: each kind's handlers take that kind's record (see `toEvent`).
 */
interface Publishes<K extends EntityKind> {
  inserted?(now: RecordOfKind<K>): Event | undefined
  modified?(
    now: RecordOfKind<K>,
    before: RecordOfKind<K> | undefined,
    record: StreamRecord,
  ): Event | undefined
  removed?(before: RecordOfKind<K>, record: StreamRecord): Event | undefined
}

/**
 * Every kind, exhaustively: a new entity is a type error here until it says what it
 * publishes (an empty entry: nothing). Creations are inserts; admins' deletions are
 * the inserts of their deletion records (a REMOVE can't say who); a personal token's
 * REMOVE carries who removed it and why (tokenRemoved); a project's settings change is
 * a MODIFY that sets `updatedAt`, a token's expiry warning one that sets
 * `expiryWarned`. Everything else (use counts, lastUsed, heartbeats, a project's
 * close, a removal's mark) is quiet.
 */
const PUBLISHES: { [K in EntityKind]: Publishes<K> } = {
  Team: {},
  User: {},
  TokenPolicy: {
    inserted: (now) => policyChanged(now, undefined),
    modified: policyChanged,
  },
  SignInAttempts: {},
  AccessTokenName: {},
  // Quiet itself: each token the stream then deletes publishes its AccessTokenDeleted.
  TokenRevocation: {},
  RateWindow: {},
  UsedAwsSignature: {},
  ServiceKeys: {},
  // The trail is written from events; the sweeper's bookkeeping is its own.
  AuditRecord: {},
  AuditGuard: {},
  SweeperCursor: {},
  SweepState: {},
  IndexMigration: {},
  AccessToken: {
    inserted: (token) => ({
      type: 'AccessTokenCreated',
      time: token.dateCreated,
      detail: {
        team: token.team,
        actor: token.username,
        user: token.username,
        token_id: token.id,
        token_name: token.name,
        expires_at: token.expiresAt,
      },
    }),
    removed: tokenRemoved,
    // A MODIFY is one thing at a time: a leak report's mark, a rotation, the sweeper's warning.
    modified: (now, before) => {
      if (now.leakedAt !== null && before?.leakedAt == null) {
        const base = { team: now.team, actor: 'secret-scanning' }
        return leaked(base, 'personal', { user: now.username, token_id: now.id }, now)
      }
      return (
        rotated(now, before, now.username, 'personal', { user: now.username, token_id: now.id }) ??
        expiryWarning(now, before)
      )
    },
  },
  Project: {
    inserted: projectCreated,
    // A create that took over a name being deleted used to put the new project over
    // the old item (a MODIFY that is a creation); records of it may still be in the
    // stream. A create now finishes the old deletion first and puts anew (an INSERT).
    modified: (now, before) =>
      before?.deleting != null && now.deleting === null
        ? projectCreated(now)
        : updated(now, before),
  },
  EnrollmentToken: {
    inserted: (token) => ({
      type: 'EnrollmentTokenCreated',
      time: token.issuedAt,
      detail: {
        team: token.team,
        project: token.project,
        actor: token.createdBy,
        enrollment_token_id: token.id,
        description: token.description,
        expires_at: token.expiresAt,
        max_uses: token.maxUses,
      },
    }),
    modified: (now, before) =>
      rotated(now, before, String(now.rotatedBy), 'enrollment', {
        enrollment_token_id: now.id,
      }),
  },
  Server: {
    inserted: (server) => {
      // Secretless enrollments name the proven AWS identity instead of a token.
      const byToken = server.enrollmentTokenId !== null
      return {
        type: 'ServerEnrolled',
        time: server.registeredAt,
        detail: {
          team: server.team,
          project: server.project,
          actor: byToken
            ? `enrollment_token:${server.enrollmentTokenId}`
            : `aws_iam:${orNull(server.cloudArn)}`,
          server_id: server.id,
          hostname: server.hostname,
          method: byToken ? 'token' : 'aws_iam',
          enrollment_token_id: server.enrollmentTokenId,
          ...(!byToken && {
            cloud_provider: server.cloudProvider,
            cloud_account: server.cloudAccount,
            instance_id: server.instanceId,
          }),
        },
      }
    },
    modified: (now, before) =>
      rotated(now, before, `server:${now.id}`, 'server', { server_id: now.id }),
  },
  CloudAccount: {
    inserted: (account) => ({
      type: 'CloudAccountAdded',
      time: account.createdAt,
      detail: {
        team: account.team,
        project: account.project,
        actor: account.createdBy,
        cloud_account_id: account.id,
        provider: account.provider,
        account_id: account.accountId,
      },
    }),
  },
  Tombstone: {
    inserted: deleted,
    // A deletion record written over an older one (a name deleted twice) is a new deletion.
    modified: (now, before) => (now.deletedAt === before?.deletedAt ? undefined : deleted(now)),
  },
}

function projectCreated(project: RecordOfKind<'Project'>): Event {
  return {
    type: 'ProjectCreated',
    time: project.createdAt,
    detail: { team: project.team, project: project.name, actor: project.createdBy },
  }
}

/** A deletion record: who deleted what, and when. */
function deleted(deletion: RecordOfKind<'Tombstone'>): Event {
  const base = {
    team: deletion.team,
    project: deletion.project ?? undefined,
    actor: deletion.deletedBy,
  }
  const time = deletion.deletedAt
  const id = String(deletion.id)
  if (deletion.reason === 'leaked') {
    const ids: TokenIds =
      deletion.entity === 'Server' ? { server_id: id } : { enrollment_token_id: id }
    const type = deletion.entity === 'Server' ? 'server' : 'enrollment'
    return leaked(base, type, ids, {
      leakUrl: deletion.leakUrl,
      leakSource: deletion.leakSource,
      leakedAt: time,
    })
  }
  switch (deletion.entity) {
    case 'Project':
      return { type: 'ProjectDeleted', time, detail: base }
    case 'EnrollmentToken':
      return { type: 'EnrollmentTokenDeleted', time, detail: { ...base, enrollment_token_id: id } }
    case 'Server':
      return { type: 'ServerDeleted', time, detail: { ...base, server_id: id } }
    case 'CloudAccount':
      return { type: 'CloudAccountRemoved', time, detail: { ...base, cloud_account_id: id } }
  }
}

/** The ids that name a token in an event: never its secret or hash. */
type TokenIds = Record<string, string | number>

/** A token revoked because GitHub's secret scanning found it (API.md, Leak revocation). */
function leaked(
  base: { team: string; project?: string; actor: string },
  tokenType: string,
  ids: TokenIds,
  leak: { leakUrl: string | null; leakSource: string | null; leakedAt: string | null },
): Event {
  return {
    type: 'AccessTokenLeaked',
    time: String(leak.leakedAt),
    detail: { ...base, token_type: tokenType, ...ids, url: leak.leakUrl, source: leak.leakSource },
  }
}

/** A rotation: `rotatedAt` moved (other writes to a token, its use, stay quiet). */
function rotated(
  now: {
    team: string
    project?: string
    rotatedAt: string | null
    previousValidUntil: string | null
  },
  before: { rotatedAt: string | null } | undefined,
  actor: string,
  tokenType: string,
  ids: TokenIds,
): Event | undefined {
  if (now.rotatedAt === null || now.rotatedAt === before?.rotatedAt) return undefined
  return {
    type: 'AccessTokenRotated',
    time: now.rotatedAt,
    detail: {
      team: now.team,
      ...(now.project && { project: now.project }),
      actor,
      token_type: tokenType,
      ...ids,
      old_valid_until: now.previousValidUntil,
    },
  }
}

const POLICY_FIELDS = [
  'maxLifetimeDays',
  'maxTokensPerUser',
  'allowedScopes',
  'inactiveDays',
] as const

/** A policy field as the API shows it: its value, else the default. */
function policyValue(
  policy: RecordOfKind<'TokenPolicy'> | undefined,
  name: (typeof POLICY_FIELDS)[number],
): DetailValue {
  const value = policy?.[name] ?? DEFAULT_TOKEN_POLICY[name]
  return Array.isArray(value) ? value.join(',') : value
}

/** A team's token policy set or changed: who, when, and each field's old and new value. */
function policyChanged(
  now: RecordOfKind<'TokenPolicy'>,
  before: RecordOfKind<'TokenPolicy'> | undefined,
): Event | undefined {
  if (now.updatedAt === before?.updatedAt) return undefined
  const changes: Record<string, { from: DetailValue; to: DetailValue }> = {}
  for (const name of POLICY_FIELDS) {
    const [from, to] = [policyValue(before, name), policyValue(now, name)]
    if (from !== to) changes[name] = { from, to }
  }
  return {
    type: 'TokenPolicyChanged',
    time: now.updatedAt,
    detail: { team: now.team, actor: now.updatedBy, changes },
  }
}

/** A setting's value as the project shows it: what it stores, else ASA's default. */
const setting = (
  project: RecordOfKind<'Project'> | undefined,
  name: (typeof PROJECT_SETTING_NAMES)[number],
) => project?.settings[name] ?? PROJECT_DEFAULTS[name]

/**
 * A settings change (PUT): who, when, and each changed setting's old and new value
 * as the project shows them (ASA's default where not set). Other writes to a project
 * (its close before a delete) leave `updatedAt` alone and publish nothing.
 */
function updated(
  now: RecordOfKind<'Project'>,
  before: RecordOfKind<'Project'> | undefined,
): Event | undefined {
  if (now.updatedAt === null || now.updatedAt === before?.updatedAt) return undefined
  const changes: Record<string, { from: DetailValue; to: DetailValue }> = {}
  for (const name of PROJECT_SETTING_NAMES) {
    const [from, to] = [setting(before, name), setting(now, name)]
    if (from !== to) changes[name] = { from, to }
  }
  return {
    type: 'ProjectUpdated',
    time: now.updatedAt,
    detail: {
      team: now.team,
      project: now.name,
      actor: String(now.updatedBy),
      project_id: now.id ?? undefined,
      changes,
    },
  }
}

/**
 * The entity an image holds, decoded by its declaration. Every item the service
 * writes has a declared kind; one that does not (written by a newer version, or by
 * hand) throws, so the record is logged and passed over rather than silently lost.
 */
function decoded(raw: Record<string, AttributeValue> | undefined) {
  if (!raw) return undefined
  const item = unmarshall(raw)
  const kind = kindOf(item)
  if (!kind) throw new Error(`an item of unknown kind ${JSON.stringify(item.kind)}`)
  return { kind, record: ENTITIES[kind].decode(item) }
}

/** The event a stream record stands for, if any (see PUBLISHES). */
export function toEvent(record: StreamRecord): DomainEvent | undefined {
  const now = decoded(record.dynamodb?.NewImage)
  const before = decoded(record.dynamodb?.OldImage)
  const subject = now ?? before
  if (!subject) return undefined
  // One kind's handlers, widened to take any record: the decode above matched them by kind.
  const publishes: Publishes<EntityKind> = PUBLISHES[subject.kind]
  let event: Event | undefined
  if (record.eventName === 'INSERT' && now) event = publishes.inserted?.(now.record)
  if (record.eventName === 'MODIFY' && now) {
    const previous = before?.kind === now.kind ? before.record : undefined
    event = publishes.modified?.(now.record, previous, record)
  }
  if (record.eventName === 'REMOVE' && before) event = publishes.removed?.(before.record, record)
  return event && { id: record.eventID ?? '', ...event }
}

/**
 * A personal token's removal. Whoever removes it for someone else (an admin, the
 * sweeper) marks it first with who and why, which its old image carries; DynamoDB's
 * TTL deletes it at expiry, unmarked; otherwise its owner deleted it.
 */
function tokenRemoved(token: RecordOfKind<'AccessToken'>, record: StreamRecord): Event {
  const seconds = record.dynamodb?.ApproximateCreationDateTime
  const time =
    token.removalAt ?? (seconds ? new Date(seconds * 1000).toISOString() : new Date().toISOString())
  const subject = { team: token.team, user: token.username, token_id: token.id }
  if (byTtl(record) || token.removalReason === 'expired')
    return {
      type: 'AccessTokenExpired',
      time,
      detail: { ...subject, actor: 'expiry', expires_at: token.expiresAt },
    }
  if (token.removalReason === 'inactive')
    return {
      type: 'AccessTokenRevokedForInactivity',
      time,
      detail: {
        ...subject,
        actor: token.removalBy ?? 'sweeper',
        last_used: token.lastUsed,
        created_at: token.dateCreated,
      },
    }
  return {
    type: 'AccessTokenDeleted',
    time,
    detail: { ...subject, actor: token.removalBy ?? token.username },
  }
}

/** The sweeper's warning that a token expires soon: the write that records it was sent. */
function expiryWarning(
  now: RecordOfKind<'AccessToken'>,
  before: RecordOfKind<'AccessToken'> | undefined,
): Event | undefined {
  if (now.expiryWarned === null || now.expiryWarned === before?.expiryWarned) return undefined
  return {
    type: 'AccessTokenExpiringSoon',
    time: now.expiryWarnedAt ?? new Date().toISOString(),
    detail: {
      team: now.team,
      actor: 'sweeper',
      user: now.username,
      token_id: now.id,
      token_name: now.name,
      expires_at: now.expiresAt,
      days_left: now.expiryWarned,
    },
  }
}
