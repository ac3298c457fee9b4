import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import { marshall } from '@aws-sdk/util-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, describe, expect, it } from 'vitest'
import type { UserCaller } from '../../shared/auth/caller.js'
import { keys } from '../../shared/data/keys.js'
import { deleteProjectStep, PROJECT_DELETE_STEP } from '../../shared/data/projects.js'
import { createProject } from '../../shared/domain/projects.js'
import { projectDeletionOf, STEP_RESERVE_MS, sweepRecords } from '../../shared/domain/sweeps.js'
import { type StreamRecord, toEvent } from '../../shared/events/events.js'
import { cancelled, conditionFailed, throttled } from '../support/aws-errors.js'

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
let afterGet: (() => void) | undefined // runs once, right after the next GetItem's answer
let afterQuery: (() => void) | undefined // runs once, right after the next Query's answer
let failUpdate = false // the next UpdateItem (a step's touch) is throttled once
let published: NonNullable<ReturnType<typeof toEvent>>[] = []

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
  afterGet = undefined
  afterQuery = undefined
  failUpdate = false
  let batchWrites = 0
  ddb.on(GetCommand).callsFake((input) => {
    const answer = { Item: table.get(keyOf(input.Key)) }
    afterGet?.()
    afterGet = undefined
    return answer
  })
  ddb.on(QueryCommand).callsFake((input) => {
    const values = input.ExpressionAttributeValues
    const inRange = [...table.values()]
      .filter((item) => item.PK === values[':pk'] && String(item.SK) < values[':before'])
      .sort((a, b) => (String(a.SK) < String(b.SK) ? -1 : 1))
    const page = inRange.slice(0, input.Limit)
    const last = page.at(-1)
    afterQuery?.()
    afterQuery = undefined
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
  // The one UpdateItem a cascade makes: the next step asked for, while this deletion's mark stands.
  ddb.on(UpdateCommand).callsFake((input) => {
    if (
      input.UpdateExpression !== 'ADD deleteStep :one' ||
      input.ConditionExpression !== 'deleting = :at'
    )
      throw new Error('unexpected update')
    if (failUpdate) {
      failUpdate = false
      throw throttled()
    }
    const found = table.get(keyOf(input.Key))
    if (!found || found.deleting !== input.ExpressionAttributeValues[':at']) throw conditionFailed()
    put({ ...found, deleteStep: Number(found.deleteStep ?? 0) + 1 })
    return {}
  })
  // A create: the conditional put, with the old item on failure, marshalled as DynamoDB sends it.
  ddb.on(PutCommand).callsFake((input) => {
    const found = table.get(keyOf(input.Item))
    if (found) throw conditionFailed(marshall(found, { removeUndefinedValues: true }))
    put(input.Item)
    return {}
  })
  // All or nothing: the last step (the project deleted, if still this deletion's, with
  // its record), whether the cascade or a create over the name makes it.
  ddb.on(TransactWriteCommand).callsFake((input: { TransactItems: Transacted[] }) => {
    const reasons = input.TransactItems.map((action) => {
      const write = action.Put ?? action.Delete
      if (!write?.ConditionExpression) return 'None'
      if (write.ConditionExpression !== 'deleting = :at') throw new Error('unexpected condition')
      const found = table.get(keyOf(action.Put ? (action.Put.Item as Item) : (write.Key as Item)))
      return found && found.deleting === write.ExpressionAttributeValues?.[':at']
        ? 'None'
        : 'ConditionalCheckFailed'
    })
    if (reasons.includes('ConditionalCheckFailed')) throw cancelled(...reasons)
    // DynamoDB orders no two items' stream records of one transaction: the fake makes
    // them last item first, so no test can lean on the order a transaction lists them.
    for (const action of [...input.TransactItems].reverse()) {
      if (action.Put) put(action.Put.Item as Item)
      if (action.Delete) remove(action.Delete.Key as Item)
    }
    return {}
  })
})

type Write = {
  Item?: Item
  Key?: Item
  ConditionExpression?: string
  ExpressionAttributeValues?: Item
}
type Transacted = { Put?: Write; Delete?: Write }

/**
 * The stream, as Lambda runs it: each batch in order; a failed batch is handed again.
 * `invocation`, when given, starts each invocation's clock (its time left).
 */
async function drain(invocation?: () => () => number): Promise<{ failures: number }> {
  let failures = 0
  while (stream.length > 0) {
    const batch = stream.splice(0, 100)
    for (;;) {
      try {
        await sweepRecords(batch, invocation?.())
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

  it('fails the batch when asking for the next step fails, so the stream hands it again: none lost', async () => {
    seed(PROJECT_DELETE_STEP + 10, 0, 0)
    failUpdate = true
    markDeleted()
    const { failures } = await drain()
    expect(failures).toBe(1)
    expect(idsOf('ServerDeleted', 'server_id')).toHaveLength(PROJECT_DELETE_STEP + 10)
    expect(ofType('ProjectDeleted')).toHaveLength(1)
    expect(children()).toEqual([])
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

  it('writes nothing in a step whose deletion a racing step finished, project and all, after its Query', async () => {
    seed(3, 0, 0)
    markDeleted()
    const deletion = { team: 'acme', project: 'web', deletedBy: 'ann', deletedAt: DELETED_AT }
    // The other step deletes the children this one found, then the project itself.
    afterQuery = () => {
      for (const item of children()) remove(item)
      remove({ ...PROJECT_KEY })
    }
    expect(await deleteProjectStep(deletion)).toBe('stale')
    expect(ddb.commandCalls(BatchWriteCommand)).toHaveLength(0)
    expect(table.get(keyOf(PROJECT_KEY))).toBeUndefined()
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

/** Runs the stream's first record only (one step), as a consumer partway through. */
async function step() {
  const batch = stream.splice(0, 1)
  await sweepRecords(batch)
  published.push(...batch.map(toEvent).filter((event) => event !== undefined))
}

const carol: UserCaller = {
  kind: 'user',
  team: 'acme',
  username: 'carol',
  credential: { type: 'service_token', jti: 'j', role: 'admin' },
  scopes: null,
}
const CREATED_AT = new Date('2026-11-25T10:00:05.000Z')
const children = () =>
  [...table.values()].filter(
    (item) => item.PK === 'TEAM#acme#PROJECT#web' && item.kind !== 'Tombstone',
  )

describe('a create of the same name while the cascade runs (a Terraform replace)', () => {
  it("with children left, finishes the deletion itself (the cascade's step and last write), then creates: every event once, ProjectDeleted first", async () => {
    seed(PROJECT_DELETE_STEP + 20, 2, 1)
    markDeleted()
    await step() // the first 1,000 children; 23 left, the next step asked for
    expect(children()).toHaveLength(23)
    const made = await createProject(carol, { name: 'web' }, CREATED_AT)
    expect(children()).toEqual([])
    expect(table.get(keyOf(PROJECT_KEY))).toMatchObject({ id: made.id, createdBy: 'carol' })
    expect(table.get(keyOf(PROJECT_KEY))?.deleting).toBeUndefined()
    // The new project's first child; then the old deletion's records keep coming (the
    // step already asked for, and the mark handed again): they touch nothing of it.
    const fresh = child('EnrollmentToken', 500_000)
    put(fresh)
    record('MODIFY', project(), project({ deleting: DELETED_AT, deletingBy: 'ann', deleteStep: 1 }))
    await drain()
    expect(table.get(keyOf(fresh))).toEqual(fresh)
    expect(table.get(keyOf(PROJECT_KEY))).toMatchObject({ id: made.id })

    const servers = idsOf('ServerDeleted', 'server_id')
    expect(servers).toHaveLength(PROJECT_DELETE_STEP + 20)
    expect(new Set(servers).size).toBe(servers.length)
    expect(idsOf('EnrollmentTokenDeleted', 'enrollment_token_id')).toHaveLength(2)
    expect(idsOf('CloudAccountRemoved', 'cloud_account_id')).toHaveLength(1)
    expect(ofType('ProjectDeleted')).toHaveLength(1)
    expect(ofType('ProjectDeleted')[0]?.detail).toEqual({
      team: 'acme',
      project: 'web',
      actor: 'ann',
    })
    for (const type of ['ServerDeleted', 'EnrollmentTokenDeleted', 'CloudAccountRemoved'])
      for (const event of ofType(type)) expect(event.detail).toMatchObject({ actor: 'ann' })
    expect(ofType('ProjectCreated').map((event) => event.detail)).toEqual([
      { team: 'acme', project: 'web', actor: 'carol' },
    ])
    expect(ofType('EnrollmentTokenCreated')).toHaveLength(1) // the new project's token
    // The create's last write of the old deletion; the cascade made one step and one
    // touch, and its later records found the mark gone: no finish of theirs.
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1)
    // The old project's deletion is published before the new project's creation (its
    // record is written first, by an earlier write than the new project's).
    const types = published.map((event) => event.type)
    expect(types.indexOf('ProjectDeleted')).toBeLessThan(types.indexOf('ProjectCreated'))
    expect(types.lastIndexOf('ServerDeleted')).toBeLessThan(types.indexOf('ProjectDeleted'))
  })

  it('with a step racing it over the same children: each child published once', async () => {
    seed(30, 0, 0)
    markDeleted()
    const mark = stream.splice(0)
    // The step writes the 30 deletion records, then dies in its deletes (the timeout).
    failBatchWrite = 3
    await expect(sweepRecords(mark)).rejects.toThrow('timed out')
    // The create meets what is left, writes the same records again (unchanged: no
    // record) and deletes the rest in its transaction.
    await createProject(carol, { name: 'web' }, CREATED_AT)
    // The failed step's record handed again: nothing of the old project left, and the
    // project no longer marked.
    stream.push(...mark)
    await drain()
    const ids = idsOf('ServerDeleted', 'server_id')
    expect(ids).toHaveLength(30)
    expect(new Set(ids).size).toBe(30)
    expect(ofType('ProjectDeleted')).toHaveLength(1)
    expect(ofType('ProjectCreated')).toHaveLength(1)
    expect(children()).toEqual([])
  })

  it("never deletes the new project's children, even when the takeover lands during a step", async () => {
    seed(5, 0, 0)
    markDeleted()
    // Right after the step reads the project, the name is taken over and gets a child.
    const fresh = child('Server', 600_000)
    afterGet = () => {
      for (const item of children()) remove(item)
      put(project({ createdAt: CREATED_AT.toISOString(), createdBy: 'carol' }))
      put(fresh)
    }
    await drain()
    expect(table.get(keyOf(fresh))).toEqual(fresh)
    // Records only for the old five (the step's Query ran while the mark stood).
    const ids = idsOf('ServerDeleted', 'server_id')
    expect(ids).toHaveLength(5)
    expect(ids).not.toContain(fresh.id)
    // The step saw the mark and went on to the last write, which the new project refuses.
    expect(table.get(keyOf(PROJECT_KEY))).toMatchObject({ createdBy: 'carol' })
    expect(ofType('ProjectDeleted')).toEqual([])
  })

  it('asks for no next step of a project taken over during a step, and fails no batch for it', async () => {
    seed(PROJECT_DELETE_STEP + 5, 0, 0)
    markDeleted()
    afterGet = () => {
      for (const item of children()) remove(item)
      put(project({ createdAt: CREATED_AT.toISOString(), createdBy: 'carol' }))
    }
    const { failures } = await drain()
    expect(failures).toBe(0) // the next step's refused ask is the end of it, not an error
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1) // asked once, refused
    expect(table.get(keyOf(PROJECT_KEY))).toMatchObject({ createdBy: 'carol' })
  })

  it('with many children left (1,200: more than one step, far more than one transaction takes), 201 at once', async () => {
    seed(1_200, 3, 1)
    markDeleted()
    const made = await createProject(carol, { name: 'web' }, CREATED_AT)
    expect(children()).toEqual([])
    expect(table.get(keyOf(PROJECT_KEY))).toMatchObject({ id: made.id, createdBy: 'carol' })
    await drain()
    expect(idsOf('ServerDeleted', 'server_id')).toHaveLength(1_200)
    expect(new Set(idsOf('ServerDeleted', 'server_id')).size).toBe(1_200)
    expect(idsOf('EnrollmentTokenDeleted', 'enrollment_token_id')).toHaveLength(3)
    expect(ofType('ProjectDeleted')).toHaveLength(1)
    expect(ofType('ProjectCreated')).toHaveLength(1)
    expect(table.get(keyOf(PROJECT_KEY))).toMatchObject({ id: made.id })
  })

  it('out of budget after a step: 429, the project not written; the cascade deletes the rest, each once, then the name is free', async () => {
    seed(1_200, 0, 0)
    markDeleted()
    await expect(createProject(carol, { name: 'web' }, CREATED_AT, 0)).rejects.toMatchObject({
      code: 'too_many_requests',
      details: { retryAfterSeconds: 5, retryAt: expect.any(Number) },
    })
    // One step's worth deleted (as the cascade would), the old project still marked.
    expect(children()).toHaveLength(200)
    expect(table.get(keyOf(PROJECT_KEY))).toMatchObject({ deleting: DELETED_AT })
    await drain()
    expect(ofType('ProjectDeleted')).toHaveLength(1)
    await createProject(carol, { name: 'web' }, CREATED_AT)
    await drain()
    expect(ofType('ProjectCreated')).toHaveLength(1)
    const ids = idsOf('ServerDeleted', 'server_id')
    expect(ids).toHaveLength(1_200)
    expect(new Set(ids).size).toBe(1_200)
  })

  it('a live project of that name: 409, nothing written', async () => {
    seed(3, 0, 0)
    await expect(createProject(carol, { name: 'web' }, CREATED_AT)).rejects.toMatchObject({
      code: 'resource_already_exists',
    })
    expect(children()).toHaveLength(3)
  })
})

describe('the time one invocation spends on steps', () => {
  it('starts no step with less than STEP_RESERVE_MS left, passes the rest on, and loses none', async () => {
    // Five projects deleted at once, two steps each: one batch of five marks.
    const names = ['p1', 'p2', 'p3', 'p4', 'p5']
    for (const name of names) {
      const own = { ...keys.project('acme', name), name }
      for (let n = 1; n <= PROJECT_DELETE_STEP + 1; n++) {
        const server = { ...child('Server', n), ...keys.server('acme', name, `s${n}`) }
        table.set(keyOf(server), { ...server, project: name, id: `s${n}` })
      }
      table.set(keyOf(own), project(own))
      put(project({ ...own, deleting: DELETED_AT, deletingBy: 'ann', deleteStep: 1 }))
    }
    expect(stream).toHaveLength(5)
    // Each step takes 6 s of a 30 s invocation (its Query starts it): a fake clock.
    const STEP_MS = 6_000
    const startedWith: number[][] = []
    const queries = () => ddb.commandCalls(QueryCommand).length
    await drain(() => {
      const before = queries()
      const started: number[] = []
      startedWith.push(started)
      return () => {
        const left = 30_000 - STEP_MS * (queries() - before)
        started.push(left)
        return left
      }
    })
    // The first invocation ran four steps (30, 24, 18, 12 s left) and passed the fifth
    // on at 6 s left; no invocation ever started a step with less than the reserve.
    expect(startedWith[0]).toEqual([30_000, 24_000, 18_000, 12_000, 6_000])
    const stepsRun = ddb.commandCalls(QueryCommand).length
    expect(stepsRun).toBe(names.length * 2) // 1,000 servers, then the last one
    for (const [i, clock] of startedWith.entries()) {
      const run = clock.filter((left) => left >= STEP_RESERVE_MS)
      expect(run.length, `invocation ${i}`).toBeLessThanOrEqual(4)
    }
    // Nothing lost: every server of every project gone, each with its one event.
    expect([...table.values()].filter((item) => item.kind === 'Server')).toEqual([])
    const servers = ofType('ServerDeleted').map((event) => JSON.stringify(event.detail))
    expect(new Set(servers).size).toBe(names.length * (PROJECT_DELETE_STEP + 1))
    expect(ofType('ProjectDeleted')).toHaveLength(names.length)
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
