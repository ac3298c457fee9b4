import { marshall } from '@aws-sdk/util-dynamodb'
import { describe, expect, it } from 'vitest'
import { type StreamRecord, toEvent } from '../../shared/events/events.js'

/**
 * Every event type, field by field, exactly as a consumer on the bus receives it: the
 * whitelist is the contract, so a field renamed, dropped or added (a hash, a secret)
 * is a change a consumer sees.
 */

type Item = Record<string, unknown>
const image = (item: Item) => marshall(item, { removeUndefinedValues: true })
const insert = (item: Item): StreamRecord => ({
  eventID: 'ev-1',
  eventName: 'INSERT',
  dynamodb: { NewImage: image(item) },
})
const modify = (now: Item, before?: Item): StreamRecord => ({
  eventID: 'ev-2',
  eventName: 'MODIFY',
  dynamodb: { NewImage: image(now), ...(before && { OldImage: image(before) }) },
})
const remove = (old: Item, extra: Partial<StreamRecord> = {}): StreamRecord => ({
  eventID: 'ev-3',
  eventName: 'REMOVE',
  dynamodb: { OldImage: image(old), ApproximateCreationDateTime: 1_764_000_000 },
  ...extra,
})

const T = '2026-11-25T12:00:00.000Z'
const SERVER_ID = '0190a5b2-7c3d-7e4f-8a1b-2c3d4e5f6a7b'
const ENROLL_ID = '0190a5b2-0000-7e4f-8a1b-2c3d4e5f6a7b'

const token = {
  kind: 'AccessToken',
  team: 'acme',
  username: 'alice',
  id: 7,
  name: 'ci',
  dateCreated: T,
  expiresAt: '2026-12-25T12:00:00.000Z',
  secretHash: 'h'.repeat(43),
}

describe('events, field by field', () => {
  it('AccessTokenCreated: the owner, the token id, name and expiry', () => {
    expect(toEvent(insert(token))).toEqual({
      id: 'ev-1',
      type: 'AccessTokenCreated',
      time: T,
      detail: {
        team: 'acme',
        actor: 'alice',
        user: 'alice',
        token_id: 7,
        token_name: 'ci',
        expires_at: '2026-12-25T12:00:00.000Z',
      },
    })
    const forever = toEvent(insert({ ...token, expiresAt: undefined }))
    expect(forever?.detail.expires_at).toBeNull()
  })

  it('ProjectCreated: the project and who made it', () => {
    const project = { kind: 'Project', team: 'acme', name: 'web', createdAt: T, createdBy: 'bob' }
    expect(toEvent(insert(project))).toEqual({
      id: 'ev-1',
      type: 'ProjectCreated',
      time: T,
      detail: { team: 'acme', project: 'web', actor: 'bob' },
    })
  })

  it('EnrollmentTokenCreated: id, description, expiry and uses, never the sealed token', () => {
    const item = {
      kind: 'EnrollmentToken',
      team: 'acme',
      project: 'web',
      id: ENROLL_ID,
      createdBy: 'bob',
      issuedAt: T,
      description: 'rack 4',
      expiresAt: '2026-12-25T12:00:00.000Z',
      maxUses: 3,
      sealed: 'v1.local.xxx',
      secretHash: 'h'.repeat(43),
    }
    expect(toEvent(insert(item))).toEqual({
      id: 'ev-1',
      type: 'EnrollmentTokenCreated',
      time: T,
      detail: {
        team: 'acme',
        project: 'web',
        actor: 'bob',
        enrollment_token_id: ENROLL_ID,
        description: 'rack 4',
        expires_at: '2026-12-25T12:00:00.000Z',
        max_uses: 3,
      },
    })
    const open = toEvent(insert({ ...item, expiresAt: undefined, maxUses: undefined }))
    expect(open?.detail).toMatchObject({ expires_at: null, max_uses: null })
  })

  const server = {
    kind: 'Server',
    team: 'acme',
    project: 'web',
    id: SERVER_ID,
    hostname: 'web-01',
    registeredAt: T,
    secretHash: 'h'.repeat(43),
  }

  it('ServerEnrolled by a token: the token as actor, no cloud fields', () => {
    expect(toEvent(insert({ ...server, enrollmentTokenId: ENROLL_ID }))).toEqual({
      id: 'ev-1',
      type: 'ServerEnrolled',
      time: T,
      detail: {
        team: 'acme',
        project: 'web',
        actor: `enrollment_token:${ENROLL_ID}`,
        server_id: SERVER_ID,
        hostname: 'web-01',
        method: 'token',
        enrollment_token_id: ENROLL_ID,
      },
    })
  })

  it('ServerEnrolled by AWS IAM: the proven identity as actor, and where it runs', () => {
    const arn = 'arn:aws:sts::123456789012:assumed-role/web/i-0abc'
    const item = {
      ...server,
      cloudArn: arn,
      cloudProvider: 'aws',
      cloudAccount: '123456789012',
      instanceId: 'i-0abc',
    }
    expect(toEvent(insert(item))).toEqual({
      id: 'ev-1',
      type: 'ServerEnrolled',
      time: T,
      detail: {
        team: 'acme',
        project: 'web',
        actor: `aws_iam:${arn}`,
        server_id: SERVER_ID,
        hostname: 'web-01',
        method: 'aws_iam',
        enrollment_token_id: null,
        cloud_provider: 'aws',
        cloud_account: '123456789012',
        instance_id: 'i-0abc',
      },
    })
    const bare = toEvent(insert({ ...server, cloudArn: arn }))
    expect(bare?.detail).toMatchObject({
      cloud_provider: null,
      cloud_account: null,
      instance_id: null,
    })
  })

  it('CloudAccountAdded: the account and its provider', () => {
    const item = {
      kind: 'CloudAccount',
      team: 'acme',
      project: 'web',
      id: 'ca-1',
      createdBy: 'bob',
      createdAt: T,
      provider: 'aws',
      accountId: '123456789012',
    }
    expect(toEvent(insert(item))).toEqual({
      id: 'ev-1',
      type: 'CloudAccountAdded',
      time: T,
      detail: {
        team: 'acme',
        project: 'web',
        actor: 'bob',
        cloud_account_id: 'ca-1',
        provider: 'aws',
        account_id: '123456789012',
      },
    })
  })

  const tombstone = (entity: string, extra: Item = {}) => ({
    kind: 'Tombstone',
    entity,
    team: 'acme',
    project: 'web',
    id: 'the-id',
    deletedBy: 'bob',
    deletedAt: T,
    ...extra,
  })

  it.each([
    ['Project', 'ProjectDeleted', {}],
    ['EnrollmentToken', 'EnrollmentTokenDeleted', { enrollment_token_id: 'the-id' }],
    ['Server', 'ServerDeleted', { server_id: 'the-id' }],
    ['CloudAccount', 'CloudAccountRemoved', { cloud_account_id: 'the-id' }],
  ])('a %s deletion record is %s with who and when', (entity, type, extra) => {
    const expected = {
      type,
      time: T,
      detail: { team: 'acme', project: 'web', actor: 'bob', ...extra },
    }
    expect(toEvent(insert(tombstone(entity)))).toEqual({ id: 'ev-1', ...expected })
    // Written over an older deletion record of the same name: a new deletion.
    const older = tombstone(entity, { deletedAt: '2026-01-01T00:00:00.000Z' })
    expect(toEvent(modify(tombstone(entity), older))).toEqual({ id: 'ev-2', ...expected })
    // The same deletion record rewritten (nothing deleted again): quiet.
    expect(toEvent(modify(tombstone(entity), tombstone(entity)))).toBeUndefined()
  })

  it('is quiet for unknown kinds and for writes that change nothing published', () => {
    expect(toEvent(insert({ kind: 'RateWindow', team: 'acme' }))).toBeUndefined()
    expect(toEvent(modify({ ...server, lastSeen: T }, server))).toBeUndefined()
    expect(toEvent({ eventID: 'x', eventName: 'INSERT', dynamodb: {} })).toBeUndefined()
    expect(toEvent({ eventID: 'x', eventName: 'MODIFY', dynamodb: {} })).toBeUndefined()
  })

  it('AccessTokenDeleted: by its owner, at the stream time', () => {
    expect(toEvent(remove(token))).toEqual({
      id: 'ev-3',
      type: 'AccessTokenDeleted',
      time: new Date(1_764_000_000_000).toISOString(),
      detail: { team: 'acme', actor: 'alice', user: 'alice', token_id: 7 },
    })
  })

  it('AccessTokenDeleted by TTL names expiry only for DynamoDB itself', () => {
    const ttl = { userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } }
    expect(toEvent(remove(token, ttl))?.detail.actor).toBe('expiry')
    const other = { userIdentity: { type: 'Service', principalId: 'someone.amazonaws.com' } }
    expect(toEvent(remove(token, other))?.detail.actor).toBe('alice')
    const user = { userIdentity: { type: 'User', principalId: 'dynamodb.amazonaws.com' } }
    expect(toEvent(remove(token, user))?.detail.actor).toBe('alice')
  })

  it('AccessTokenDeleted without a stream time is stamped now', () => {
    const record = remove(token)
    const before = Date.now()
    const event = toEvent({ ...record, dynamodb: { OldImage: record.dynamodb?.OldImage } })
    const time = Date.parse(event?.time ?? '')
    expect(time).toBeGreaterThanOrEqual(before)
    expect(time).toBeLessThanOrEqual(Date.now())
  })

  it('is quiet when anything but a personal token is removed', () => {
    expect(toEvent(remove({ ...server }))).toBeUndefined()
    expect(toEvent({ eventID: 'x', eventName: 'REMOVE', dynamodb: {} })).toBeUndefined()
  })

  const project = { kind: 'Project', team: 'acme', name: 'web', id: 'p-1', createdAt: T }

  it('ProjectUpdated from a record without the old image: changed from the defaults', () => {
    const now = { ...project, updatedAt: T, updatedBy: 'bob', forward_traffic: true }
    expect(toEvent(modify(now))).toEqual({
      id: 'ev-2',
      type: 'ProjectUpdated',
      time: T,
      detail: {
        team: 'acme',
        project: 'web',
        actor: 'bob',
        project_id: 'p-1',
        changes: { forward_traffic: { from: false, to: true } },
      },
    })
    // A project never updated, written without its old image (its close): quiet.
    expect(toEvent(modify({ ...project, deleting: T }))).toBeUndefined()
  })

  it('is quiet for records without an image, or of an unknown kind of change', () => {
    expect(toEvent({ eventID: 'x', eventName: 'INSERT' })).toBeUndefined()
    expect(toEvent({ eventID: 'x', eventName: 'MODIFY' })).toBeUndefined()
    expect(toEvent({ eventID: 'x', eventName: 'REMOVE' })).toBeUndefined()
    const { eventName: _, ...unnamed } = remove(token)
    expect(toEvent(unnamed)).toBeUndefined()
  })

  it('gives an empty id to a record without one', () => {
    const { eventID: _, ...record } = insert(token)
    expect(toEvent(record)?.id).toBe('')
  })
})
