import { readFileSync } from 'node:fs'
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge'
import { marshall } from '@aws-sdk/util-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { eventBridgeSink } from '../../shared/events/eventbridge-sink.js'
import { type StreamRecord, toEvent } from '../../shared/events/events.js'
import { publishRecords } from '../../shared/events/publish.js'
import { expectNoFragmentOf } from '../support/secrets.js'

/** Real records from DynamoDB Local's stream (scripts/record-stream.ts). */
const recorded: StreamRecord[] = JSON.parse(
  readFileSync(new URL('../fixtures/stream-records.json', import.meta.url), 'utf8'),
)
const eventbridge = mockClient(EventBridgeClient)
const sink = eventBridgeSink(new EventBridgeClient({ region: 'eu-west-1' }), 'latchkey-bus')
const noWait = async () => {}

beforeEach(() => {
  eventbridge.reset()
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
})

const sentEntries = () =>
  eventbridge.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries ?? [])

describe('change stream to events', () => {
  it('turns one of each change into the contract event, in order, and ignores the rest', () => {
    const events = recorded.flatMap((record) => {
      const event = toEvent(record)
      return event ? [event] : []
    })
    expect(events.map((e) => e.type)).toEqual([
      'AccessTokenCreated', // the bootstrap token
      'AccessTokenCreated',
      'AccessTokenDeleted',
      'ProjectCreated',
      'EnrollmentTokenCreated',
      'ServerEnrolled',
      'ServerDeleted',
      'EnrollmentTokenDeleted',
      'ProjectDeleted',
    ])
    const server = events.find((e) => e.type === 'ServerEnrolled')
    expect(server?.detail).toMatchObject({
      team: 'acme',
      project: 'web',
      hostname: 'web-01',
      actor: expect.stringMatching(/^enrollment_token:/),
    })
    for (const event of events) {
      expect(event.detail.team).toBe('acme')
      expect(event.detail.actor).toBeTruthy()
      expect(event.time).toMatch(/^\d{4}-\d{2}-\d{2}T.*Z$/)
      expect(event.id).toBeTruthy()
    }
    expect(events.find((e) => e.type === 'ProjectDeleted')?.detail.actor).toBe('admin')
  })

  it('never carries a secret, a hash or a sealed value', () => {
    const published = JSON.stringify(recorded.map(toEvent))
    for (const field of ['secretHash', 'sealed', 'passwordHash'])
      expect(published).not.toContain(field)
    const images = recorded.flatMap((r) => [r.dynamodb?.NewImage, r.dynamodb?.OldImage])
    // The secret part of each: a sealed value without its `v1.<key>.` prefix, a
    // password hash's salt and key without its parameters.
    const secretOf: Record<string, (value: string) => string> = {
      secretHash: (value) => value,
      sealed: (value) => value.replace(/^v1\.\w+\./, ''),
      passwordHash: (value) => value.split('$').slice(4).join('$'),
    }
    const found = images.flatMap((image) =>
      Object.entries(secretOf).flatMap(([field, secret]) => {
        const value = image?.[field]
        return value && 'S' in value && value.S ? [{ field, secret: secret(value.S) }] : []
      }),
    )
    // The recording holds all three kinds.
    expect(new Set(found.map((f) => f.field))).toEqual(new Set(Object.keys(secretOf)))
    const secrets = found.map((f) => f.secret)
    expectNoFragmentOf(published, secrets)
  })

  it('keeps the published service-token keys out of the event stream', () => {
    const published: StreamRecord = {
      eventID: 'k1',
      eventName: 'INSERT',
      dynamodb: {
        NewImage: {
          PK: { S: 'SERVICE' },
          SK: { S: 'JWKS' },
          kind: { S: 'ServiceKeys' },
          keys: { L: [] },
        },
      },
    }
    expect(toEvent(published)).toBeUndefined()
    expect(toEvent({ ...published, eventName: 'MODIFY' })).toBeUndefined()
  })

  it('names expiry as the actor of a token TTL removed', () => {
    const removal = recorded.find(
      (r) => r.eventName === 'REMOVE' && r.dynamodb?.OldImage?.kind?.S === 'AccessToken',
    )
    const byTtl = {
      ...removal,
      userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
    }
    expect(toEvent(byTtl as StreamRecord)?.detail.actor).toBe('expiry')
  })

  describe('ProjectUpdated', () => {
    const project = {
      PK: 'TEAM#acme',
      SK: 'PROJECT#web',
      kind: 'Project',
      team: 'acme',
      name: 'web',
      id: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
      createdAt: '2026-11-01T00:00:00.000Z',
      createdBy: 'admin',
      gateway_selector: 'env=prod',
    }
    const modify = (before: object, after: object): StreamRecord => ({
      eventID: 'm1',
      eventName: 'MODIFY',
      dynamodb: { OldImage: marshall(before), NewImage: marshall(after) },
    })

    it('names who changed which settings, from and to as the project showed them', () => {
      const after = {
        ...project,
        version: 1,
        updatedAt: '2026-11-02T10:00:00.000Z',
        updatedBy: 'ann',
        forward_traffic: true,
        next_unix_uid: 61000,
      }
      delete (after as Partial<typeof after>).gateway_selector
      expect(toEvent(modify(project, after))).toEqual({
        id: 'm1',
        type: 'ProjectUpdated',
        time: '2026-11-02T10:00:00.000Z',
        detail: {
          team: 'acme',
          project: 'web',
          actor: 'ann',
          project_id: project.id,
          changes: {
            forward_traffic: { from: false, to: true },
            next_unix_uid: { from: 60001, to: 61000 },
            gateway_selector: { from: 'env=prod', to: null },
          },
        },
      })
    })

    it('is quiet for other changes to a project (its close before a delete)', () => {
      const updated = { ...project, updatedAt: '2026-11-02T10:00:00.000Z', updatedBy: 'ann' }
      expect(
        toEvent(modify(project, { ...project, deleting: '2026-11-03T00:00:00.000Z' })),
      ).toBeUndefined()
      expect(
        toEvent(modify(updated, { ...updated, deleting: '2026-11-03T00:00:00.000Z' })),
      ).toBeUndefined()
    })
  })
})

describe('publishing to EventBridge', () => {
  const many = (n: number) =>
    Array.from({ length: n }, (_, i) => {
      const base = recorded.find((r) => r.dynamodb?.NewImage?.kind?.S === 'Project') as StreamRecord
      return {
        ...base,
        eventID: `e${i}`,
        dynamodb: { ...base.dynamodb, SequenceNumber: String(100 + i) },
      }
    })

  it('sends batches of at most 10 entries in order, on the bus, with source latchkey', async () => {
    eventbridge.on(PutEventsCommand).callsFake(({ Entries }) => ({
      FailedEntryCount: 0,
      Entries: Entries.map(() => ({ EventId: 'x' })),
    }))
    const result = await publishRecords(many(25), sink, noWait)
    expect(result).toEqual({ batchItemFailures: [] })
    const calls = eventbridge.commandCalls(PutEventsCommand)
    expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 10, 5])
    const entries = sentEntries()
    expect(entries[0]).toMatchObject({
      EventBusName: 'latchkey-bus',
      Source: 'latchkey',
      DetailType: 'ProjectCreated',
    })
    expect(entries.map((e) => JSON.parse(e.Detail ?? '{}').event_id)).toEqual(
      Array.from({ length: 25 }, (_, i) => `e${i}`),
    )
  })

  it('retries only the entries that failed for now, then succeeds', async () => {
    let first = true
    eventbridge.on(PutEventsCommand).callsFake(({ Entries }) => {
      const fail = first
      first = false
      return {
        FailedEntryCount: fail ? 1 : 0,
        Entries: Entries.map((_: unknown, i: number) =>
          fail && i === 3 ? { ErrorCode: 'ThrottlingException' } : { EventId: 'x' },
        ),
      }
    })
    const result = await publishRecords(many(10), sink, noWait)
    expect(result.batchItemFailures).toEqual([])
    const calls = eventbridge.commandCalls(PutEventsCommand)
    expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 1])
    expect(JSON.parse(calls[1]?.args[0].input.Entries?.[0]?.Detail ?? '{}').event_id).toBe('e3')
  })

  it('reports the first record still failing, and sends nothing after it', async () => {
    eventbridge.on(PutEventsCommand).callsFake(({ Entries }) => ({
      FailedEntryCount: 1,
      Entries: Entries.map((entry: { Detail: string }) =>
        JSON.parse(entry.Detail).event_id === 'e12'
          ? { ErrorCode: 'InternalFailure' }
          : { EventId: 'x' },
      ),
    }))
    const result = await publishRecords(many(25), sink, noWait)
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '112' }] })
    // First batch, second batch, then e12 alone twice more; never the third batch.
    const calls = eventbridge.commandCalls(PutEventsCommand)
    expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 10, 1, 1])
  })

  it('skips an entry refused for good instead of blocking the shard', async () => {
    eventbridge.on(PutEventsCommand).callsFake(({ Entries }) => ({
      FailedEntryCount: 1,
      Entries: Entries.map((_: unknown, i: number) =>
        i === 0 ? { ErrorCode: 'MalformedDetail' } : { EventId: 'x' },
      ),
    }))
    const result = await publishRecords(many(3), sink, noWait)
    expect(result.batchItemFailures).toEqual([])
    expect(eventbridge.commandCalls(PutEventsCommand)).toHaveLength(1)
  })

  it('passes over an unreadable record', async () => {
    eventbridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'x' }] })
    const broken = {
      eventID: 'bad',
      eventName: 'INSERT',
      dynamodb: { NewImage: { kind: { Q: 'nonsense' } } },
    } as unknown as StreamRecord
    const result = await publishRecords([broken, ...many(1)], sink, noWait)
    expect(result.batchItemFailures).toEqual([])
    expect(sentEntries()).toHaveLength(1)
  })

  it('skips and logs a deletion record of a kind of item it does not know, never guessing one', async () => {
    eventbridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'x' }] })
    const write = vi.mocked(process.stdout.write)
    const deletion = {
      PK: 'TEAM#acme#PROJECT#web',
      SK: 'TOMBSTONE#WIDGET#w1',
      kind: 'Tombstone',
      entity: 'Widget', // a kind a newer version might delete; `Project` would be a lie
      team: 'acme',
      project: 'web',
      id: 'w1',
      deletedBy: 'ann',
      deletedAt: '2026-11-03T00:00:00.000Z',
    }
    const record = { eventID: 'w', eventName: 'INSERT', dynamodb: { NewImage: marshall(deletion) } }
    expect(() => toEvent(record as StreamRecord)).toThrow('unknown stored value "Widget"')
    const foreign = {
      eventName: 'INSERT',
      dynamodb: { NewImage: marshall({ PK: 'x', SK: 'y', kind: 'Gadget' }) },
    }
    expect(() => toEvent(foreign as StreamRecord)).toThrow('an item of unknown kind "Gadget"')
    const result = await publishRecords([record as StreamRecord, ...many(1)], sink, noWait)
    expect(result.batchItemFailures).toEqual([])
    expect(sentEntries().map((entry) => entry.DetailType)).toEqual(['ProjectCreated'])
    const logged = write.mock.calls.map(([line]) => String(line)).join('')
    expect(logged).toContain('unreadable stream record skipped')
    expect(logged).toContain('"eventID":"w"')
  })

  it('lets a whole-call failure (the API throwing) fail the invocation for Lambda to retry', async () => {
    eventbridge.on(PutEventsCommand).rejects(new Error('network down'))
    await expect(publishRecords(many(2), sink, noWait)).rejects.toThrow('network down')
  })
})

describe('token lifecycle events', () => {
  const token = {
    PK: 'TEAM#acme#USER#ann',
    SK: 'PAT#0000000000000003',
    kind: 'AccessToken',
    team: 'acme',
    username: 'ann',
    id: 3,
    name: 'ci',
    secretHash: 'h'.repeat(43),
    dateCreated: '2026-11-01T00:00:00.000Z',
  }
  const modify = (before: object, after: object): StreamRecord => ({
    eventID: 'e1',
    eventName: 'MODIFY',
    dynamodb: { OldImage: marshall(before), NewImage: marshall(after) },
  })

  it('publishes AccessTokenRotated when rotatedAt moves, naming the grace, never a hash', () => {
    const after = {
      ...token,
      secretHash: 'n'.repeat(43),
      previousHash: token.secretHash,
      previousValidUntil: '2026-11-02T11:00:00.000Z',
      rotatedAt: '2026-11-02T10:00:00.000Z',
    }
    const event = toEvent(modify(token, after))
    expect(event).toEqual({
      id: 'e1',
      type: 'AccessTokenRotated',
      time: '2026-11-02T10:00:00.000Z',
      detail: {
        team: 'acme',
        actor: 'ann',
        token_type: 'personal',
        user: 'ann',
        token_id: 3,
        old_valid_until: '2026-11-02T11:00:00.000Z',
      },
    })
    expectNoFragmentOf(JSON.stringify(event), [token.secretHash, after.secretHash])
    // lastUsed and other writes to the token stay quiet
    expect(toEvent(modify(after, { ...after, lastUsed: '2026-11-02T10:05:00.000Z' }))).toBe(
      undefined,
    )
  })

  it('publishes AccessTokenLeaked when a personal token is marked, and for leaked servers and enrollment tokens', () => {
    const leaked = {
      ...token,
      leakedAt: '2026-11-03T00:00:00.000Z',
      leakUrl: 'https://github.com/a/b',
      leakSource: 'content',
    }
    expect(toEvent(modify(token, leaked))?.detail).toEqual({
      team: 'acme',
      actor: 'secret-scanning',
      token_type: 'personal',
      user: 'ann',
      token_id: 3,
      url: 'https://github.com/a/b',
      source: 'content',
    })
    const tombstone = {
      PK: 'TEAM#acme#PROJECT#web',
      SK: 'TOMBSTONE#SERVER#s1',
      kind: 'Tombstone',
      entity: 'Server',
      team: 'acme',
      project: 'web',
      id: 's1',
      deletedBy: 'secret-scanning',
      deletedAt: '2026-11-03T00:00:00.000Z',
      secretHash: 'h'.repeat(43),
      reason: 'leaked',
      leakUrl: 'https://github.com/a/b',
      leakSource: 'commit',
    }
    const insert = toEvent({
      eventID: 'e2',
      eventName: 'INSERT',
      dynamodb: { NewImage: marshall(tombstone) },
    })
    expect(insert?.type).toBe('AccessTokenLeaked')
    expect(insert?.detail).toEqual({
      team: 'acme',
      project: 'web',
      actor: 'secret-scanning',
      token_type: 'server',
      server_id: 's1',
      url: 'https://github.com/a/b',
      source: 'commit',
    })
    expectNoFragmentOf(JSON.stringify(insert), [tombstone.secretHash])
  })

  it('publishes TokenPolicyChanged with each changed field, from and to', () => {
    const policy = {
      PK: 'TEAM#acme',
      SK: 'TOKENPOLICY',
      kind: 'TokenPolicy',
      team: 'acme',
      maxLifetimeDays: 30,
      maxTokensPerUser: 1000,
      allowedScopes: null,
      inactiveDays: null,
      updatedBy: 'ann',
      updatedAt: '2026-11-02T10:00:00.000Z',
    }
    const first = toEvent({
      eventID: 'p1',
      eventName: 'INSERT',
      dynamodb: { NewImage: marshall(policy) },
    })
    expect(first?.detail).toEqual({
      team: 'acme',
      actor: 'ann',
      changes: { maxLifetimeDays: { from: null, to: 30 } },
    })
    const next = { ...policy, allowedScopes: ['a', 'b'], updatedAt: '2026-11-02T11:00:00.000Z' }
    expect(toEvent(modify(policy, next))?.detail.changes).toEqual({
      allowedScopes: { from: null, to: 'a,b' },
    })
  })
})
