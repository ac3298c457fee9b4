/**
 * Section "scale": one user with n tokens, listed and deleted, against a raw loop
 * doing the same work written here (paginated Query, BatchWriteItem 25 at a time, 4
 * in flight, unprocessed items sent again): nothing of the service's code. Every
 * figure is the spread of several alternated samples, each on freshly seeded tokens.
 */
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  paginateQuery,
} from '@aws-sdk/lib-dynamodb'
import type { Bench, Sizes } from './harness.js'
import { seedAccessTokens, seedMember, seedServers } from './seed.js'
import { type Report, round, type Spread, show, spread } from './stats.js'

export interface ScaleRow {
  tokens: number
  samples: number
  listHttpMs: Spread
  listRawMs: Spread
  listRatio: number
  deleteAllHttpMs: Spread
  deleteAllRawMs: Spread
  deleteRatio: number
}

async function rawQuery(
  db: DynamoDBDocumentClient,
  TableName: string,
  pk: string,
  prefix: string,
  projection?: string,
) {
  const items: Record<string, unknown>[] = []
  const pages = paginateQuery(
    { client: db },
    {
      TableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :p)',
      ExpressionAttributeValues: { ':pk': pk, ':p': prefix },
      ConsistentRead: true,
      ...(projection && { ProjectionExpression: projection }),
    },
  )
  for await (const page of pages) items.push(...(page.Items ?? []))
  return items
}

async function rawDeleteAll(db: DynamoDBDocumentClient, TableName: string, pk: string) {
  const keys = await rawQuery(db, TableName, pk, 'PAT', 'PK, SK')
  const batches: (typeof keys)[] = []
  for (let i = 0; i < keys.length; i += 25) batches.push(keys.slice(i, i + 25))
  let next = 0
  const worker = async () => {
    while (next < batches.length) {
      let requests = (batches[next++] ?? []).map((Key) => ({ DeleteRequest: { Key } }))
      while (requests.length > 0) {
        const { UnprocessedItems } = await db.send(
          new BatchWriteCommand({ RequestItems: { [TableName]: requests } }),
        )
        requests = (UnprocessedItems?.[TableName] ?? []) as typeof requests
      }
    }
  }
  await Promise.all(Array.from({ length: 4 }, worker))
}

const time = async (task: () => Promise<unknown>) => {
  const t0 = performance.now()
  await task()
  return round(performance.now() - t0, 1)
}

export async function measureScale(bench: Bench, n: Sizes): Promise<ScaleRow[]> {
  const { db, tableName, load } = bench
  const { createAccessToken } = await import('../shared/domain/access-tokens.js')
  const rows: ScaleRow[] = []
  for (const count of n.scale) {
    const username = `scale${count}`
    const owner = { team: 'acme', username }
    const pk = `TEAM#acme#USER#${username}`
    await seedMember(owner)
    const own = async () => (await createAccessToken(owner, { name: 'own' })).accessKey
    const times = { listHttp: [], listRaw: [], deleteHttp: [], deleteRaw: [] } as Record<
      'listHttp' | 'listRaw' | 'deleteHttp' | 'deleteRaw',
      number[]
    >
    for (let i = 0; i < n.scaleRuns; i++) {
      // The raw side's turn: seed, list, delete everything.
      await seedAccessTokens(db, tableName, owner, count)
      times.listRaw.push(await time(() => rawQuery(db, tableName, pk, 'PAT#')))
      times.deleteRaw.push(await time(() => rawDeleteAll(db, tableName, pk)))
      // The service's turn on the same n (+ the caller's own token): list, delete all.
      await seedAccessTokens(db, tableName, owner, count)
      const caller = await own()
      times.listHttp.push(await time(() => load.send('GET', '/api/tokens', caller)))
      times.deleteHttp.push(await time(() => load.send('DELETE', '/api/tokens/delete-all', caller)))
    }
    const s = (values: number[]) => spread(values, 1)
    const row = {
      tokens: count,
      samples: n.scaleRuns,
      listHttpMs: s(times.listHttp),
      listRawMs: s(times.listRaw),
      deleteAllHttpMs: s(times.deleteHttp),
      deleteAllRawMs: s(times.deleteRaw),
    }
    rows.push({
      ...row,
      listRatio: round(row.listHttpMs.median / row.listRawMs.median),
      deleteRatio: round(row.deleteAllHttpMs.median / row.deleteAllRawMs.median),
    })
  }
  return rows
}

export interface ProjectDeleteRow {
  servers: number
  samples: number
  /** The DELETE over HTTP: one conditional write, whatever the project holds. */
  deleteHttpMs: Spread
  /** The cascade behind it, its steps run one after the other as the stream would. */
  cascadeMs: Spread
  steps: number
  /** Children deleted per second by the cascade (median sample). */
  cascadePerSecond: number
}

/**
 * A project with n servers deleted over HTTP (the request path), then its cascade run
 * to the end step by step (the bench table has no stream): the request must not grow
 * with n; the cascade's rate is the background work's.
 */
export async function measureProjectDelete(bench: Bench, n: Sizes): Promise<ProjectDeleteRow[]> {
  const { db, tableName, http, serviceToken } = bench
  const { deleteProjectStep, finishProjectDelete, getProject } = await import(
    '../shared/data/projects.js'
  )
  const rows: ProjectDeleteRow[] = []
  for (const count of n.scale) {
    const times = { http: [] as number[], cascade: [] as number[] }
    let steps = 0
    for (let i = 0; i < n.scaleRuns; i++) {
      const project = `bulk-${count}-${i}`
      await http('POST', '/v1/teams/acme/projects', serviceToken, { name: project })
      await seedServers(db, tableName, { team: 'acme', project }, count)
      const path = `/v1/teams/acme/projects/${project}`
      times.http.push(await time(() => http('DELETE', path, serviceToken)))
      const marked = await getProject('acme', project)
      if (!marked?.deleting) throw new Error(`project ${project} was not marked deleted`)
      const deletion = {
        team: 'acme',
        project,
        deletedBy: marked.deletingBy ?? 'bench',
        deletedAt: marked.deleting,
      }
      steps = 1
      times.cascade.push(
        await time(async () => {
          while ((await deleteProjectStep(deletion)) === 'more') steps++
          await finishProjectDelete(deletion)
        }),
      )
    }
    const cascadeMs = spread(times.cascade, 1)
    rows.push({
      servers: count,
      samples: n.scaleRuns,
      deleteHttpMs: spread(times.http, 1),
      cascadeMs,
      steps,
      cascadePerSecond: Math.round(count / (cascadeMs.median / 1000)),
    })
  }
  return rows
}

export function printProjectDelete(report: Report, rows: ProjectDeleteRow[]) {
  report.log(
    '\nProject delete: a project with n servers; the request (ms) and the cascade behind it (ms, children/s), median (min-max) of samples',
  )
  report.table(
    rows.map((r) => ({
      servers: r.servers,
      samples: r.samples,
      'delete http': show(r.deleteHttpMs),
      cascade: show(r.cascadeMs),
      steps: r.steps,
      'cascade /s': r.cascadePerSecond,
    })),
  )
}

export function printScale(report: Report, rows: ScaleRow[]) {
  report.log(
    '\nScale: one user with n tokens, the service vs a raw Query/BatchWrite loop; ms, median (min-max) of samples',
  )
  report.table(
    rows.map((r) => ({
      tokens: r.tokens,
      samples: r.samples,
      'list http': show(r.listHttpMs),
      'list raw': show(r.listRawMs),
      'list ratio': r.listRatio,
      'delete-all http': show(r.deleteAllHttpMs),
      'delete-all raw': show(r.deleteAllRawMs),
      'delete ratio': r.deleteRatio,
    })),
  )
}
