/**
 * The sweeper over many tokens (issue 14): N personal tokens in one team, D of them
 * due (a 7-day warning), on DynamoDB Local in memory. Measures one sweeper run (calls
 * and time), a second run (nothing left to do: idempotent), and, for comparison, a
 * raw Query of the same index for the same due tokens (what finding them costs with
 * no work done). `npx tsx bench/sweeper.ts [--quick]`: 100,000 tokens with 1,000
 * due, or 10,000 with 100.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

const quick = process.argv.includes('--quick')
const TOKENS = quick ? 10_000 : 100_000
const DUE = quick ? 100 : 1_000
const PER_USER = 1_000
const DAY = 86_400_000

const { launchDynamoDbLocal } = await import('../local/dynamodb.js')
const dynamodb = await launchDynamoDbLocal()
try {
  const { readConfig } = await import('../shared/config.js')
  const { createContext, installContext } = await import('../shared/context.js')
  const { dynamo, db, tableName } = installContext(
    createContext(
      readConfig({
        ...process.env,
        DYNAMODB_ENDPOINT: dynamodb.endpoint,
        TABLE_NAME: 'bench-sweeper',
      }),
    ),
  ).store
  const { ensureTable } = await import('../local/ensure-table.js')
  const { writeAll } = await import('../shared/data/batch.js')
  const { indexKeys, keys } = await import('../shared/data/keys.js')
  const { nextDue } = await import('../shared/data/token-due.js')
  const { sweep } = await import('../shared/domain/sweeper.js')
  const { tableSchema } = await import('../shared/data/table.js')
  const { paginateQuery } = await import('@aws-sdk/lib-dynamodb')
  await ensureTable(dynamo, tableName, { stream: false })

  // Every call the SDK sends, counted by command.
  const calls = new Map<string, number>()
  dynamo.middlewareStack.add(
    (next, context) => (args) => {
      calls.set(String(context.commandName), (calls.get(String(context.commandName)) ?? 0) + 1)
      return next(args)
    },
    { step: 'initialize', name: 'benchCount' },
  )

  const now = new Date()
  const created = new Date(now.getTime() - 30 * DAY)
  const team = 'bench'
  const items = []
  items.push({
    PutRequest: { Item: { ...keys.team(team), ...indexKeys.team(team), kind: 'Team', name: team } },
  })
  for (let i = 0; i < TOKENS; i++) {
    const username = `u${Math.floor(i / PER_USER)}`
    const id = (i % PER_USER) + 1
    // Every (TOKENS / DUE)th token expires within 7 days: its warning is due; the rest
    // expire in a year or never.
    const due = i % (TOKENS / DUE) === 0
    const expiresAt = due
      ? new Date(now.getTime() + 5 * DAY).toISOString()
      : i % 2 === 0
        ? new Date(now.getTime() + 365 * DAY).toISOString()
        : null
    const dueAt = nextDue(expiresAt, null, created)
    items.push({
      PutRequest: {
        Item: {
          ...keys.accessToken(team, username, id),
          ...indexKeys.accessToken(team, username, id, dueAt),
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
  const seedMs = performance.now() - seedStart

  const measure = async <T>(run: () => Promise<T>) => {
    calls.clear()
    const t0 = performance.now()
    const result = await run()
    return { ms: Math.round(performance.now() - t0), calls: Object.fromEntries(calls), result }
  }
  const raw = await measure(async () => {
    let found = 0
    for await (const page of paginateQuery(
      { client: db },
      {
        TableName: tableName,
        IndexName: tableSchema.index.name,
        KeyConditionExpression: '#pk = :pk AND #sk < :before',
        ExpressionAttributeNames: { '#pk': 'GSI1PK', '#sk': 'GSI1SK' },
        ExpressionAttributeValues: {
          ':pk': `TEAM#${team}#TOKENS`,
          ':before': `${now.toISOString()}$`,
        },
      },
    ))
      found += page.Items?.length ?? 0
    return found
  })
  const first = await measure(() => sweep({ now }))
  const second = await measure(() => sweep({ now }))
  console.log(
    JSON.stringify(
      {
        tokens: TOKENS,
        due: DUE,
        seed: { items: items.length, seconds: Math.round(seedMs / 100) / 10 },
        rawQuery: { ms: raw.ms, calls: raw.calls, found: raw.result },
        sweepFirst: { ms: first.ms, calls: first.calls, report: first.result },
        sweepAgain: { ms: second.ms, calls: second.calls, report: second.result },
      },
      null,
      2,
    ),
  )
} finally {
  await dynamodb.stop()
}
