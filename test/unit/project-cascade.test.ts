import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import { marshall } from '@aws-sdk/util-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, describe, expect, it } from 'vitest'
import { keys } from '../../shared/data/keys.js'
import { PROJECT_DELETE_STEP } from '../../shared/data/projects.js'
import { projectDeletionOf, sweepRecords } from '../../shared/domain/sweeps.js'
import { type StreamRecord, toEvent } from '../../shared/events/events.js'

/**
 * A deleted project's cascade against a small in-memory table that behaves like
 * DynamoDB for the calls the cascade makes, with the change stream replayed by hand:
 * each write that changes an item makes a record, a failed step gets its record again
 * (as Lambda and the local poller do), and the events are those records' events.
 */
const ddb = mockClient(DynamoDBDocumentClient)
type Item = Record<string, unknown>
const table = new Map<string, Item>()
const keyOf = (key: { PK?: unknown; SK?: unknown }) => `${String(key.PK)}|${String(key.SK)}`
let stream: StreamRecord[] = []
let sequence = 0
let failBatchWrite: number | undefined // the batch-write call (1-based) that fails once
let published: NonNullable<ReturnType<typeof toEvent>>[] = []

const conditionFailed = () =>
  Object.assign(new Error('ConditionalCheckFailedException'), {
    name: 'ConditionalCheckFailedException',
    $metadata: {},
  })

function record(eventName: 'INSERT' | 'MODIFY' | 'REMOVE', before?: Item, after?: Item) {
  stream.push({
    eventID: String(++sequence),
    eventName,
    dynamodb: {
      ApproximateCreationDateTime: 1_790_000_000,
      ...(after && { NewImage: marshall(after, { removeUndefinedValues: true }) }),
      ...(before && { OldImage: marshall(before, { removeUndefinedValues: true }) }),
    },
  } as StreamRecord)
}

function remove(key: Item) {
  const old = table.get(keyOf(key))
  if (!old) return // deleting nothing writes nothing, and makes no record
  table.delete(keyOf(key))
  record('REMOVE', old)
}

function put(item: Item) {
  const old = table.get(keyOf(item))
  table.set(keyOf(item), item)
  // An unchanged item makes no record, as on DynamoDB.
  if (old && JSON.stringify(old) === JSON.stringify(item)) return
  record(old ? 'MODIFY' : 'INSERT', old, item)
}

const PROJECT_KEY = keys.project('acme', 'web')
const DELETED_AT = '2026-11-25T10:00:00.000Z'
const project = (extra: Item = {}): Item => ({
  ...PROJECT_KEY,
  kind: 'Project',
  team: 'acme',
  name: 'web',
  id: '0193a0a0-0000-7000-8000-00000000000f',
  createdAt: '2026-11-01T00:00:00.000Z',
  createdBy: 'ann',
  ...extra,
})
const child = (kind: 'Server' | 'EnrollmentToken' | 'CloudAccount', n: number): Item => {
  const id = `0193a0a0-0000-7000-8000-${String(n).padStart(12, '0')}`
  const key =
    kind === 'Server'
      ? keys.server('acme', 'web', id)
      : kind === 'EnrollmentToken'
        ? keys.enrollmentToken('acme', 'web', id)
        : keys.cloudAccount('acme', 'web', id)
  return { ...key, kind, team: 'acme', project: 'web', id, secretHash: `h${n}` }
}

beforeEach(() => {
  ddb.reset()
  table.clear()
  stream = []
  published = []
  failBatchWrite = undefined
  let batchWrites = 0
  ddb.on(GetCommand).callsFake((input) => ({ Item: table.get(keyOf(input.Key)) }))
  ddb.on(QueryCommand).callsFake((input) => {
    const values = input.ExpressionAttributeValues
    const inRange = [...table.values()]
      .filter((item) => item.PK === values[':pk'] && String(item.SK) < values[':before'])
      .sort((a, b) => (String(a.SK) < String(b.SK) ? -1 : 1))
    const page = inRange.slice(0, input.Limit)
    const last = page.at(-1)
    return {
      Items: page,
      ...(inRange.length > page.length &&
        last && { LastEvaluatedKey: { PK: last.PK, SK: last.SK } }),
    }
  })
  ddb.on(BatchWriteCommand).callsFake((input: { RequestItems: Record<string, Item[]> }) => {
    batchWrites++
    if (batchWrites === failBatchWrite) throw new Error('the function timed out')
    for (const requests of Object.values(input.RequestItems))
      for (const request of requests) {
        if (request.PutRequest) put((request.PutRequest as { Item: Item }).Item)
        if (request.DeleteRequest) remove((request.DeleteRequest as { Key: Item }).Key)
      }
    return { UnprocessedItems: {} }
  })
  ddb.on(UpdateCommand).callsFake((input) => {
    const found = table.get(keyOf(input.Key))
    if (!found || found.deleting !== input.ExpressionAttributeValues[':at']) throw conditionFailed()
    put({ ...found, deleteStep: Number(found.deleteStep ?? 0) + 1 })
    return {}
  })
  // The last step: the project deleted, if still this deletion's, with its record.
  ddb.on(TransactWriteCommand).callsFake((input: { TransactItems: Item[] }) => {
    const [first, second] = input.TransactItems as { Delete: Item; Put: Item }[]
    if (!first || !second) throw new Error('two items expected')
    const found = table.get(keyOf(first.Delete.Key as Item))
    const { ':at': at } = first.Delete.ExpressionAttributeValues as Record<string, unknown>
    if (!found || found.deleting !== at)
      throw Object.assign(new Error('TransactionCanceledException'), {
        name: 'TransactionCanceledException',
        CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
        $metadata: {},
      })
    remove(first.Delete.Key as Item)
    put(second.Put.Item as Item)
    return {}
  })
})

/** The stream, as Lambda runs it: each batch in order; a failed batch is handed again. */
async function drain(): Promise<{ failures: number }> {
  let failures = 0
  while (stream.length > 0) {
    const batch = stream.splice(0, 100)
    for (;;) {
      try {
        await sweepRecords(batch)
        break
      } catch {
        failures++
      }
    }
    published.push(...batch.map(toEvent).filter((event) => event !== undefined))
  }
  return { failures }
}

function seed(servers: number, tokens: number, accounts: number) {
  let n = 0
  for (let i = 0; i < servers; i++) table.set(keyOf(child('Server', ++n)), child('Server', n))
  for (let i = 0; i < tokens; i++)
    table.set(keyOf(child('EnrollmentToken', ++n)), child('EnrollmentToken', n))
  for (let i = 0; i < accounts; i++)
    table.set(keyOf(child('CloudAccount', ++n)), child('CloudAccount', n))
  table.set(keyOf(project()), project())
  // Another project's server: never touched.
  const other = { ...child('Server', 999_999), ...keys.server('acme', 'api', 'x'), project: 'api' }
  table.set(keyOf(other), other)
}

/** The DELETE's one write, as markProjectDeleted makes it. */
const markDeleted = () => put(project({ deleting: DELETED_AT, deletingBy: 'ann', deleteStep: 1 }))

const ofType = (type: string) => published.filter((event) => event.type === type)
const idsOf = (type: string, field: string) =>
  ofType(type).map((event) => (event.detail as Record<string, unknown>)[field])

describe("a deleted project's cascade", () => {
  it('deletes every child with its deletion record, a bounded step per record, one event each, the project last', async () => {
    seed(PROJECT_DELETE_STEP * 2 + 3, 40, 2)
    markDeleted()
    await drain()

    const left = [...table.values()].filter((item) => item.kind !== 'Tombstone')
    expect(left.map((item) => item.project)).toEqual(['api']) // only the other project's
    const servers = idsOf('ServerDeleted', 'server_id')
    expect(servers).toHaveLength(PROJECT_DELETE_STEP * 2 + 3)
    expect(new Set(servers).size).toBe(servers.length)
    expect(idsOf('EnrollmentTokenDeleted', 'enrollment_token_id')).toHaveLength(40)
    expect(idsOf('CloudAccountRemoved', 'cloud_account_id')).toHaveLength(2)
    expect(ofType('ProjectDeleted')).toHaveLength(1)
    expect(published.at(-1)?.type).toBe('ProjectDeleted') // after every child
    for (const event of published) expect(event.detail).toMatchObject({ actor: 'ann' })
    // Three steps of at most PROJECT_DELETE_STEP, each asked for by the previous one's touch.
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(3)
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(2)
    // Servers' deletion records keep their token's hash: a genuine token reads "revoked".
    const record = table.get(
      keyOf({
        ...keys.tombstone({ PK: String(child('Server', 1).PK), SK: String(child('Server', 1).SK) }),
      }),
    )
    expect(record).toMatchObject({ entity: 'Server', secretHash: 'h1', deletedBy: 'ann' })
  })

  it('resumes a step cut short half-way (a crash) without a duplicate or a miss', async () => {
    const servers = PROJECT_DELETE_STEP + 500
    seed(servers, 0, 0)
    failBatchWrite = 50 // in the first step's deletes, after all its 40 batches of records
    markDeleted()
    const { failures } = await drain()
    expect(failures).toBe(1)
    const ids = idsOf('ServerDeleted', 'server_id')
    expect(ids).toHaveLength(servers) // each server's event exactly once
    expect(new Set(ids).size).toBe(servers)
    expect(ofType('ProjectDeleted')).toHaveLength(1)
    expect([...table.values()].filter((item) => item.kind === 'Server')).toHaveLength(1) // api's
  })

  it('resumes a crash while writing the deletion records, and one after the project is gone', async () => {
    seed(300, 0, 0)
    failBatchWrite = 5 // in the records: some written, none deleted
    markDeleted()
    await drain()
    expect(idsOf('ServerDeleted', 'server_id')).toHaveLength(300)
    // The last record handed again (a retried batch): nothing left, nothing published twice.
    const events = published.length
    record(
      'MODIFY',
      project({ deleting: DELETED_AT, deleteStep: 1 }),
      project({ deleting: DELETED_AT, deleteStep: 2 }),
    )
    await drain()
    expect(published).toHaveLength(events)
    expect(ofType('ProjectDeleted')).toHaveLength(1)
  })

  it('leaves a project made again under that name alone when an old record comes back', async () => {
    seed(10, 0, 0)
    markDeleted()
    const mark = stream[0]
    await drain()
    expect(ofType('ProjectDeleted')).toHaveLength(1)
    // Made again, with a server of its own; then the stream hands the old mark again.
    put(project({ createdAt: '2026-11-26T00:00:00.000Z' }))
    const fresh = child('Server', 77)
    put(fresh)
    stream = mark ? [mark] : []
    await drain()
    expect(table.get(keyOf(fresh))).toEqual(fresh)
    expect(table.get(keyOf(PROJECT_KEY))).toMatchObject({ createdAt: '2026-11-26T00:00:00.000Z' })
    expect(ofType('ProjectDeleted')).toHaveLength(1)
    expect(idsOf('ServerDeleted', 'server_id')).toHaveLength(10)
  })
})

describe('which records ask for a step', () => {
  const modify = (before: Item, after: Item): StreamRecord => ({
    eventName: 'MODIFY',
    dynamodb: { OldImage: marshall(before), NewImage: marshall(after) },
  })
  const asked = { team: 'acme', project: 'web', deletedBy: 'ann', deletedAt: DELETED_AT }
  const marked = (step: number) =>
    project({ deleting: DELETED_AT, deletingBy: 'ann', deleteStep: step })

  it('a new mark, or a raised step', () => {
    expect(projectDeletionOf(modify(project(), marked(1)))).toEqual(asked)
    expect(projectDeletionOf(modify(marked(1), marked(2)))).toEqual(asked)
  })

  it('not a settings change, a removed project, an unmarked one, nor any other item', () => {
    expect(projectDeletionOf(modify(marked(1), { ...marked(1), updatedAt: 'x' }))).toBeUndefined()
    expect(projectDeletionOf(modify(project(), { ...project(), version: 2 }))).toBeUndefined()
    expect(
      projectDeletionOf({ eventName: 'REMOVE', dynamodb: { OldImage: marshall(marked(1)) } }),
    ).toBeUndefined()
    expect(
      projectDeletionOf({
        eventName: 'INSERT',
        dynamodb: { NewImage: marshall(child('Server', 1)) },
      }),
    ).toBeUndefined()
  })

  it('a mark left by an older DELETE, without an author, names the system', () => {
    const old = project({ deleting: DELETED_AT })
    expect(projectDeletionOf(modify(old, { ...old, deleteStep: 1 }))).toEqual({
      ...asked,
      deletedBy: 'latchkey',
    })
  })
})
