import type { AttributeValue } from '@aws-sdk/client-dynamodb'
import { unmarshall } from '@aws-sdk/util-dynamodb'
import { PROJECT_DEFAULTS, PROJECT_SETTING_NAMES } from '../data/project-settings.js'

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

type Item = Record<string, unknown>
const text = (value: unknown) => (typeof value === 'string' ? value : undefined)
const orNull = (value: unknown) =>
  typeof value === 'string' || typeof value === 'number' ? value : null

/** TTL deletions are made by DynamoDB itself, not by a caller. */
const byTtl = (record: StreamRecord) =>
  record.userIdentity?.type === 'Service' &&
  record.userIdentity.principalId === 'dynamodb.amazonaws.com'

function created(item: Item): Omit<DomainEvent, 'id'> | undefined {
  const team = String(item.team)
  switch (item.kind) {
    case 'AccessToken':
      return {
        type: 'AccessTokenCreated',
        time: String(item.dateCreated),
        detail: {
          team,
          actor: String(item.username),
          user: String(item.username),
          token_id: Number(item.id),
          token_name: String(item.name),
          expires_at: orNull(item.expiresAt),
        },
      }
    case 'Project':
      return {
        type: 'ProjectCreated',
        time: String(item.createdAt),
        detail: { team, project: String(item.name), actor: String(item.createdBy) },
      }
    case 'EnrollmentToken':
      return {
        type: 'EnrollmentTokenCreated',
        time: String(item.issuedAt),
        detail: {
          team,
          project: String(item.project),
          actor: String(item.createdBy),
          enrollment_token_id: String(item.id),
          description: String(item.description),
          expires_at: orNull(item.expiresAt),
          max_uses: orNull(item.maxUses),
        },
      }
    case 'Server': {
      // Secretless enrollments name the proven AWS identity instead of a token.
      const byToken = typeof item.enrollmentTokenId === 'string'
      return {
        type: 'ServerEnrolled',
        time: String(item.registeredAt),
        detail: {
          team,
          project: String(item.project),
          actor: byToken
            ? `enrollment_token:${String(item.enrollmentTokenId)}`
            : `aws_iam:${String(item.cloudArn)}`,
          server_id: String(item.id),
          hostname: String(item.hostname),
          method: byToken ? 'token' : 'aws_iam',
          enrollment_token_id: orNull(item.enrollmentTokenId),
          ...(!byToken && {
            cloud_provider: orNull(item.cloudProvider),
            cloud_account: orNull(item.cloudAccount),
            instance_id: orNull(item.instanceId),
          }),
        },
      }
    }
    case 'CloudAccount':
      return {
        type: 'CloudAccountAdded',
        time: String(item.createdAt),
        detail: {
          team,
          project: String(item.project),
          actor: String(item.createdBy),
          cloud_account_id: String(item.id),
          provider: String(item.provider),
          account_id: String(item.accountId),
        },
      }
    case 'Tombstone':
      return deleted(item)
  }
  return undefined
}

/** A deletion record: who deleted what, and when. */
function deleted(item: Item): Omit<DomainEvent, 'id'> | undefined {
  const base = {
    team: String(item.team),
    project: text(item.project),
    actor: String(item.deletedBy),
  }
  const time = String(item.deletedAt)
  switch (item.entity) {
    case 'Project':
      return { type: 'ProjectDeleted', time, detail: base }
    case 'EnrollmentToken':
      return {
        type: 'EnrollmentTokenDeleted',
        time,
        detail: { ...base, enrollment_token_id: String(item.id) },
      }
    case 'Server':
      return { type: 'ServerDeleted', time, detail: { ...base, server_id: String(item.id) } }
    case 'CloudAccount':
      return {
        type: 'CloudAccountRemoved',
        time,
        detail: { ...base, cloud_account_id: String(item.id) },
      }
  }
  return undefined
}

/** A setting's value in an item: what it stores, else ASA's default. */
const setting = (item: Item | undefined, name: (typeof PROJECT_SETTING_NAMES)[number]) => {
  const value = item?.[name]
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? value
    : PROJECT_DEFAULTS[name]
}

/**
 * A settings change (PUT): who, when, and each changed setting's old and new value
 * as the project shows them (ASA's default where not set). Other writes to a project (its close before a
 * delete) leave `updatedAt` alone and publish nothing.
 */
function updated(now: Item, before: Item | undefined): Omit<DomainEvent, 'id'> | undefined {
  if (now.kind !== 'Project' || now.updatedAt === undefined) return undefined
  if (now.updatedAt === before?.updatedAt) return undefined
  const changes: Record<string, { from: DetailValue; to: DetailValue }> = {}
  for (const name of PROJECT_SETTING_NAMES) {
    const [from, to] = [setting(before, name), setting(now, name)]
    if (from !== to) changes[name] = { from, to }
  }
  return {
    type: 'ProjectUpdated',
    time: String(now.updatedAt),
    detail: {
      team: String(now.team),
      project: String(now.name),
      actor: String(now.updatedBy),
      project_id: text(now.id),
      changes,
    },
  }
}

/**
 * The event a stream record stands for, if any. Creations are inserts; admins'
 * deletions are the inserts of their deletion records (a REMOVE can't say who);
 * personal tokens are only ever deleted by their owner or by expiry, so their
 * REMOVE says enough; a project's settings change is a MODIFY that sets `updatedAt`.
 * Everything else (use counts, lastUsed, heartbeats, a project's close) is quiet.
 */
export function toEvent(record: StreamRecord): DomainEvent | undefined {
  const id = record.eventID ?? ''
  const image = (which: 'NewImage' | 'OldImage') => {
    const raw = record.dynamodb?.[which]
    return raw ? (unmarshall(raw) as Item) : undefined
  }
  if (record.eventName === 'INSERT') {
    const item = image('NewImage')
    const event = item && created(item)
    return event && { id, ...event }
  }
  if (record.eventName === 'MODIFY') {
    // A deletion record written over an older one (a name deleted twice) is a new deletion.
    const [now, before] = [image('NewImage'), image('OldImage')]
    if (now?.kind === 'Project') {
      const event = updated(now, before)
      return event && { id, ...event }
    }
    if (now?.kind !== 'Tombstone' || now.deletedAt === before?.deletedAt) return undefined
    const event = deleted(now)
    return event && { id, ...event }
  }
  if (record.eventName === 'REMOVE') {
    const item = image('OldImage')
    if (item?.kind !== 'AccessToken') return undefined
    const seconds = record.dynamodb?.ApproximateCreationDateTime
    return {
      id,
      type: 'AccessTokenDeleted',
      time: seconds ? new Date(seconds * 1000).toISOString() : new Date().toISOString(),
      detail: {
        team: String(item.team),
        actor: byTtl(record) ? 'expiry' : String(item.username),
        user: String(item.username),
        token_id: Number(item.id),
      },
    }
  }
  return undefined
}
