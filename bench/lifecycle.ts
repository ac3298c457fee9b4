/**
 * Section "lifecycle" (issue 14): the sweeper over many tokens and a leak report of
 * 1,000 tokens, on the bench's DynamoDB Local and service.
 *
 * The sweeper: `sweeperTokens` personal tokens in a team of their own (1,000 a user),
 * `sweeperDue` of them due (their 7-day warning; the rest expire in a year or never),
 * seeded straight into the table with their index keys. One run (each due token
 * warned: a conditional UpdateItem), a second run at the same time (nothing left to
 * do: idempotent), and for comparison a raw Query of the index for the same due tokens
 * (what finding them costs, no work done). It calls `sweep` as the scheduled handler
 * does, without the handler's index migration (one-off, and finished on any table
 * made by this code: one GetItem).
 *
 * The leak report: GitHub's format, signed, 1,000 tokens: 100 live personal tokens,
 * 400 well-formed ones never issued (each read), 500 garbage (no I/O), over HTTP;
 * then the same report again (every token now revoked: no write).
 *
 * Calls by command (the service's SDK client), wall time, and this process's CPU time
 * (user + system: the sweeper, or the local server and the client; DynamoDB Local's
 * JVM is another process and not in it).
 */
import type { Bench, Sizes } from './harness.js'
import { seedMember } from './seed.js'
import type { Report } from './stats.js'

const DAY = 86_400_000
const PER_USER = 1_000

export interface Run<T> {
  ms: number
  cpuMs: number
  calls: Record<string, number>
  result: T
}

export interface LifecycleResult {
  sweeper: {
    tokens: number
    due: number
    seedSeconds: number
    rawQuery: Run<number>
    first: Run<{ warned: number; expired: number; revoked: number; done: boolean }>
    again: Run<{ warned: number; expired: number; revoked: number; done: boolean }>
  }
  leak: {
    live: number
    unknown: number
    garbage: number
    first: Run<{ truePositives: number; answers: number }>
    again: Run<{ truePositives: number; answers: number }>
  }
}

/** Wall time, this process's CPU time and the service's calls while `task` runs. */
async function timed<T>(bench: Bench, task: () => Promise<T>): Promise<Run<T>> {
  let result: T | undefined
  let ms = 0
  let cpuMs = 0
  const calls = await bench.counted(async () => {
    const cpu = process.cpuUsage()
    const t0 = performance.now()
    result = await task()
    ms = performance.now() - t0
    const used = process.cpuUsage(cpu)
    cpuMs = (used.user + used.system) / 1000
  })
  return { ms: Math.round(ms), cpuMs: Math.round(cpuMs), calls, result: result as T }
}

export async function measureLifecycle(bench: Bench, n: Sizes): Promise<LifecycleResult> {
  return { sweeper: await measureSweeper(bench, n), leak: await measureLeakBatch(bench) }
}

async function measureSweeper(bench: Bench, n: Sizes): Promise<LifecycleResult['sweeper']> {
  const { writeAll } = await import('../shared/data/batch.js')
  const { indexKeys, keys, indexPartitions } = await import('../shared/data/keys.js')
  const { nextDue } = await import('../shared/data/token-due.js')
  const { tableSchema } = await import('../shared/data/table.js')
  const { sweep } = await import('../shared/domain/sweeper.js')
  const { paginateQuery } = await import('@aws-sdk/lib-dynamodb')
  const tokens = n.sweeperTokens
  const due = n.sweeperDue
  const team = 'sweep-bench'
  const now = new Date()
  const created = new Date(now.getTime() - 30 * DAY)
  const items: { PutRequest: { Item: Record<string, unknown> } }[] = [
    {
      PutRequest: {
        Item: { ...keys.team(team), ...indexKeys.team(team), kind: 'Team', name: team },
      },
    },
  ]
  for (let i = 0; i < tokens; i++) {
    const username = `u${Math.floor(i / PER_USER)}`
    const id = (i % PER_USER) + 1
    // Every (tokens / due)th expires within 7 days: its warning is due.
    const expiresAt =
      i % (tokens / due) === 0
        ? new Date(now.getTime() + 5 * DAY).toISOString()
        : i % 2 === 0
          ? new Date(now.getTime() + 365 * DAY).toISOString()
          : null
    items.push({
      PutRequest: {
        Item: {
          ...keys.accessToken(team, username, id),
          ...indexKeys.accessToken(team, username, id, nextDue(expiresAt, null, created)),
          kind: 'AccessToken',
          team,
          username,
          id,
          name: `t${id}`,
          secretHash: 'x'.repeat(43),
          dateCreated: created.toISOString(),
          ...(expiresAt && { expiresAt }),
        },
      },
    })
  }
  const seedStart = performance.now()
  await writeAll(items)
  const seedSeconds = Math.round((performance.now() - seedStart) / 100) / 10

  const rawQuery = await timed(bench, async () => {
    let found = 0
    for await (const page of paginateQuery(
      { client: bench.db },
      {
        TableName: bench.tableName,
        IndexName: tableSchema.index.name,
        KeyConditionExpression: '#pk = :pk AND #sk < :before',
        ExpressionAttributeNames: {
          '#pk': tableSchema.index.partitionKey,
          '#sk': tableSchema.index.sortKey,
        },
        ExpressionAttributeValues: {
          ':pk': indexPartitions.teamTokens(team),
          ':before': `${now.toISOString()}$`,
        },
      },
    ))
      found += page.Items?.length ?? 0
    return found
  })
  const summary = async () => {
    const { warned, expired, revoked, done } = await sweep({ now })
    return { warned, expired, revoked, done }
  }
  const first = await timed(bench, summary)
  const again = await timed(bench, summary)
  return { tokens, due, seedSeconds, rawQuery, first, again }
}

async function measureLeakBatch(bench: Bench): Promise<LifecycleResult['leak']> {
  const { createAccessToken } = await import('../shared/domain/access-tokens.js')
  const { issuePersonalToken } = await import('../shared/tokens/personal-token.js')
  const owner = { team: 'acme', username: 'leaky' }
  await seedMember(owner)
  const live: string[] = []
  for (let i = 0; i < 100; i++)
    live.push((await createAccessToken(owner, { name: `leak ${i}` })).accessKey)
  const unknown = Array.from(
    { length: 400 },
    (_, i) => issuePersonalToken({ ...owner, id: 100_000 + i }).token,
  )
  const garbage = Array.from({ length: 500 }, (_, i) => `lk_${'x'.repeat(40)}_${i}`)
  const batch = [...live, ...unknown, ...garbage]
  const report = async () => {
    const answers = (await bench.leakReport(batch)) as { label: string }[]
    const truePositives = answers.filter((a) => a.label === 'true_positive').length
    return { truePositives, answers: answers.length }
  }
  const first = await timed(bench, report)
  const again = await timed(bench, report)
  return { live: live.length, unknown: unknown.length, garbage: garbage.length, first, again }
}

const row = <T>(name: string, run: Run<T>, outcome: string) => ({
  run: name,
  ms: run.ms,
  cpuMs: run.cpuMs,
  calls: Object.entries(run.calls)
    .map(([command, count]) => `${count} ${command}`)
    .join(' + '),
  outcome,
})

export function printLifecycle(report: Report, result: LifecycleResult) {
  const { sweeper, leak } = result
  report.log(
    `\nThe sweeper: ${sweeper.tokens} tokens, ${sweeper.due} due (seeded in ${sweeper.seedSeconds} s); ms, this process's CPU ms, calls`,
  )
  const outcome = (r: LifecycleResult['sweeper']['first']['result']) =>
    `warned ${r.warned}, expired ${r.expired}, revoked ${r.revoked}${r.done ? '' : ' (budget reached)'}`
  report.table([
    row('raw Query of the due range', sweeper.rawQuery, `${sweeper.rawQuery.result} found`),
    row('sweeper, first run', sweeper.first, outcome(sweeper.first.result)),
    row('sweeper, second run', sweeper.again, outcome(sweeper.again.result)),
  ])
  report.log(
    `\nLeak report over HTTP: ${leak.live} live, ${leak.unknown} unknown, ${leak.garbage} garbage; ms, this process's CPU ms (server and client), calls`,
  )
  const answered = (r: LifecycleResult['leak']['first']['result']) =>
    `${r.answers} answers, ${r.truePositives} true positives`
  report.table([
    row('first report', leak.first, answered(leak.first.result)),
    row('same report again', leak.again, answered(leak.again.result)),
  ])
}
