/**
 * `npm run bench [-- --quick]`: Latchkey against the floor it cannot beat, in one run
 * on one DynamoDB Local. Prints tables and writes bench/results.json (--quick writes
 * bench/out/results.quick.json: small N, figures not meant to be read).
 */

import { mkdir, writeFile } from 'node:fs/promises'
import { cpus } from 'node:os'
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import {
  GetCommand,
  paginateQuery,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda'
import { hashPassword } from '../shared/auth/password.js'
import { keys } from '../shared/data/keys.js'
import type { HttpResult } from '../shared/http/response.js'
import { hashesMatch, sha256 } from '../shared/tokens/crypto.js'
import { issuePersonalToken, parsePersonalToken } from '../shared/tokens/personal-token.js'
import { instanceRole, signCallerIdentity, startStsStandIn } from '../test/support/sts.js'
import { measureBundles } from './bundles.js'
import { httpClient, startHttpFloor } from './http-floor.js'
import { seedAccessTokens } from './seed.js'
import { measure, median, medianTiming, round, type Timing } from './stats.js'

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpResult>

interface ScaleRow {
  tokens: number
  listHttpMs: number
  listRawMs: number
  listRatio: number
  deleteAllHttpMs: number
  deleteAllRawMs: number
  deleteRatio: number
}

export interface BenchOptions {
  quick: boolean
  /** An already running DynamoDB; otherwise an in-memory DynamoDB Local is started. */
  endpoint?: string
}

const sizes = (quick: boolean) =>
  quick
    ? {
        requests: 30,
        rounds: 1,
        inFlight: 16,
        scale: [50, 100],
        scaleRuns: 1,
        bundleRuns: 3,
        hashes: 2,
        verifies: 2000,
        events: 3,
      }
    : {
        requests: 400,
        rounds: 5,
        inFlight: 16,
        scale: [1000, 5000, 10000],
        scaleRuns: 7,
        bundleRuns: 15,
        hashes: 10,
        verifies: 50000,
        events: 50,
      }

export async function runBench(options: BenchOptions) {
  const { calls, timed } = await measureAll(options, true)
  if (!timed) throw new Error('the timed sections did not run')
  return {
    machine: {
      cpus: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      date: new Date().toISOString(),
      quick: options.quick,
    },
    calls,
    ...timed,
  }
}

/** Section 1 alone: DynamoDB calls per request (deterministic, so tests assert them). */
export async function countCalls(options: Omit<BenchOptions, 'quick'>) {
  return (await measureAll({ ...options, quick: true }, false)).calls
}

async function measureAll(options: BenchOptions, timings: boolean) {
  const n = sizes(options.quick)
  const { launchDynamoDbLocal } = await import('../local/dynamodb.js')
  const dynamodb = options.endpoint ? undefined : await launchDynamoDbLocal()
  // Secretless enrollment asks STS: here a local stand-in that checks signatures as STS does.
  const benchRole = instanceRole('111122223333', 'bench-agent', 'i-0123456789abcdef0')
  const sts = await startStsStandIn([benchRole])
  const { startApp } = await import('../local/harness.js')
  const { toLambdaEvent } = await import('../local/event.js')
  // No stream on the bench table: DynamoDB Local slows as stream records pile up
  // (AWS does not), which would tilt whichever side of a comparison runs later.
  const app = await startApp({
    env: { LATCHKEY_STS_ENDPOINT: sts.url },
    endpoint: options.endpoint ?? dynamodb?.endpoint ?? '',
    stream: false,
  })
  const { db, tableName } = app
  const handlers = {
    list: (await import('../functions/tokens/list.js')).handler as Handler,
    create: (await import('../functions/tokens/create.js')).handler as Handler,
    projects: (await import('../functions/projects/list.js')).handler as Handler,
  }

  // Every DynamoDB call the service makes passes this counter, by operation.
  const counts = new Map<string, number>()
  app.dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName).replace(/Command$/, '')
      counts.set(name, (counts.get(name) ?? 0) + 1)
      return next(args)
    },
    { step: 'initialize', name: 'benchCallCounter' },
  )
  const counted = async (request: () => Promise<unknown>) => {
    counts.clear()
    await request()
    return Object.fromEntries([...counts].sort())
  }
  const http = (method: string, path: string, token?: string, body?: unknown) =>
    fetch(new URL(path, app.url), {
      method,
      headers: {
        ...(token && { authorization: `Bearer ${token}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(async (response) => {
      const text = await response.text()
      if (response.status >= 500) throw new Error(`${method} ${path}: ${response.status} ${text}`)
      return text ? JSON.parse(text) : undefined
    })
  const token = app.admin.token
  let names = 0
  const nextName = () => `bench ${names++}`

  // 1. DynamoDB calls per request, against the contract's minimum.
  const created = await http('POST', '/api/tokens', token, { name: nextName() })
  const victim = await http('POST', '/api/tokens', token, { name: nextName() })
  const forged = issuePersonalToken({ team: 'acme', username: 'admin', id: 1 }).token
  const service = await http('POST', '/v1/teams/acme/service_token', undefined, {
    key_id: '1', // the bootstrap token, already used: the rows below start from a fresh one
    key_secret: token,
  })
  await http('POST', '/v1/teams/acme/projects', service.bearer_token, { name: 'bench' })
  const { updateUser } = await import('../shared/data/users.js')
  await updateUser('acme', 'admin', { passwordHash: await hashPassword('bench password') })
  const grant = (password: string) =>
    http('POST', '/tokens', undefined, {
      username: 'admin',
      password,
      accountName: 'acme',
      tokenName: nextName(),
    })
  const project = '/v1/teams/acme/projects/bench'
  const enrollmentToken = await http(
    'POST',
    `${project}/server_enrollment_tokens`,
    service.bearer_token,
    { description: 'bench' },
  )
  const enrolled = await http('POST', `${project}/servers`, enrollmentToken.token, {
    hostname: 'bench-0',
  })
  await http('POST', `${project}/cloud_accounts`, service.bearer_token, {
    provider: 'aws',
    account_id: benchRole.account,
  })
  // Distinct signatures (the same request signed twice in a second is one signature):
  // dates a second apart from 7 minutes ago, all inside STS's 15-minute window.
  const signingStart = Date.now() - 7 * 60 * 1000
  let signatures = 0
  const signedIdentity = () =>
    signCallerIdentity(benchRole, {
      project: 'acme/bench',
      signingDate: new Date(signingStart + 1000 * signatures++),
    })
  const secretless = async () => ({ hostname: 'bench-iam', aws_iam: await signedIdentity() })
  // Issue 13: verify, rate limits, the authorizer. Each token used once first, so no
  // row pays its once-a-minute lastUsed write.
  const verify = (presented: string) =>
    http('POST', '/v1/teams/acme/tokens/verify', service.bearer_token, { token: presented })
  const limited = await http('POST', '/api/tokens', token, {
    name: nextName(),
    rateLimit: { limit: 1_000_000, windowSeconds: 86_400 },
  })
  await http('GET', '/api/tokens', limited.accessKey)
  const orders = await http('POST', '/api/tokens', token, {
    name: nextName(),
    scopes: ['orders:read'],
  })
  await verify(orders.accessKey)
  const calls = [
    {
      request: 'any route, garbage token',
      budget: 0,
      counts: await counted(() => http('GET', '/api/tokens', 'garbage')),
    },
    {
      request: 'any route, well-formed forged token',
      budget: 1,
      counts: await counted(() => http('GET', '/api/tokens', forged)),
    },
    {
      request: 'GET /api/tokens, token first used this minute',
      budget: 3,
      counts: await counted(() => http('GET', '/api/tokens', created.accessKey)),
    },
    {
      request: 'GET /api/tokens',
      budget: 2,
      counts: await counted(() => http('GET', '/api/tokens', created.accessKey)),
    },
    {
      request: 'POST /api/tokens',
      budget: 3,
      counts: await counted(() =>
        http('POST', '/api/tokens', created.accessKey, { name: nextName() }),
      ),
    },
    {
      request: 'GET /api/tokens, service bearer token (JWT)',
      budget: 1,
      counts: await counted(() => http('GET', '/api/tokens', service.bearer_token)),
    },
    {
      request: 'POST /v1/teams/{team}/service_token',
      budget: 2,
      counts: await counted(() =>
        http('POST', '/v1/teams/acme/service_token', undefined, { key_id: '1', key_secret: token }),
      ),
    },
    {
      request: 'GET /v1/teams/{team}/projects, service bearer token (JWT)',
      budget: 1,
      counts: await counted(() => http('GET', '/v1/teams/acme/projects', service.bearer_token)),
    },
    {
      request: 'POST /v1/teams/{team}/projects, JWT (role in the token)',
      budget: 1,
      counts: await counted(() =>
        http('POST', '/v1/teams/acme/projects', service.bearer_token, { name: 'bench-jwt' }),
      ),
    },
    {
      request: 'POST /v1/teams/{team}/projects, personal token (role read)',
      budget: 3,
      counts: await counted(() =>
        http('POST', '/v1/teams/acme/projects', created.accessKey, { name: 'bench-pat' }),
      ),
    },
    {
      request: "another team's /v1/teams/{team}/projects, JWT",
      budget: 0,
      counts: await counted(() => http('GET', '/v1/teams/other/projects', service.bearer_token)),
    },
    {
      request: 'POST /tokens, wrong password (attempt window open)',
      budget: 2,
      counts: await grant('wrong password').then(() => counted(() => grant('wrong password'))),
    },
    {
      request: 'POST /tokens, password grant',
      budget: 5,
      counts: await counted(() => grant('bench password')),
    },
    {
      request: 'POST .../server_enrollment_tokens (JWT)',
      budget: 1,
      counts: await counted(() =>
        http('POST', `${project}/server_enrollment_tokens`, service.bearer_token, {
          description: 'counted',
        }),
      ),
    },
    {
      request: 'GET .../server_enrollment_tokens/{id} (JWT)',
      budget: 1,
      counts: await counted(() =>
        http(
          'GET',
          `${project}/server_enrollment_tokens/${enrollmentToken.id}`,
          service.bearer_token,
        ),
      ),
    },
    {
      request: 'POST .../servers (enrollment)',
      budget: 1,
      counts: await counted(() =>
        http('POST', `${project}/servers`, enrollmentToken.token, { hostname: 'bench-1' }),
      ),
    },
    {
      request: 'POST .../servers (secretless, aws_iam; + 1 STS call)',
      budget: 2,
      counts: await secretless().then((body) =>
        counted(() => http('POST', `${project}/servers`, undefined, body)),
      ),
    },
    {
      request: 'POST .../servers/{id}/heartbeat',
      budget: 1,
      counts: await counted(() =>
        http('POST', `${project}/servers/${enrolled.server.id}/heartbeat`, enrolled.server_token),
      ),
    },
    {
      request: 'GET .../server_enrollment_tokens (JWT)',
      budget: 1,
      counts: await counted(() =>
        http('GET', `${project}/server_enrollment_tokens`, service.bearer_token),
      ),
    },
    {
      request: 'GET .../servers (JWT)',
      budget: 1,
      counts: await counted(() => http('GET', `${project}/servers`, service.bearer_token)),
    },
    {
      request: 'GET .../servers/{id} (JWT)',
      budget: 1,
      counts: await counted(() =>
        http('GET', `${project}/servers/${enrolled.server.id}`, service.bearer_token),
      ),
    },
    {
      request: 'DELETE .../servers/{id} (JWT)',
      budget: 2,
      counts: await counted(() =>
        http('DELETE', `${project}/servers/${enrolled.server.id}`, service.bearer_token),
      ),
    },
    {
      request: 'POST .../servers/{id}/heartbeat, deleted server',
      budget: 2,
      counts: await counted(() =>
        http('POST', `${project}/servers/${enrolled.server.id}/heartbeat`, enrolled.server_token),
      ),
    },
    {
      request: 'DELETE .../server_enrollment_tokens/{id} (JWT)',
      budget: 1,
      counts: await counted(() =>
        http(
          'DELETE',
          `${project}/server_enrollment_tokens/${enrollmentToken.id}`,
          service.bearer_token,
        ),
      ),
    },
    {
      request: 'GET /v1/teams/{team}/projects/{project} (JWT)',
      budget: 1,
      counts: await counted(() =>
        http('GET', '/v1/teams/acme/projects/bench-jwt', service.bearer_token),
      ),
    },
    {
      request: 'DELETE /v1/teams/{team}/projects/{project}, empty (JWT)',
      budget: 3,
      counts: await counted(() =>
        http('DELETE', '/v1/teams/acme/projects/bench-jwt', service.bearer_token),
      ),
    },
    {
      request: 'GET /.well-known/jwks.json',
      budget: 0,
      counts: await counted(() => http('GET', '/.well-known/jwks.json')),
    },
    {
      request: 'DELETE /api/tokens/{id}',
      budget: 3,
      counts: await counted(() =>
        http('DELETE', `/api/tokens/${victim.token.id}`, created.accessKey),
      ),
    },
    {
      request: 'POST .../tokens/verify, garbage (JWT caller)',
      budget: 0,
      counts: await counted(() => verify('garbage')),
    },
    {
      request: 'POST .../tokens/verify, personal token (JWT caller)',
      budget: 1,
      counts: await counted(() => verify(created.accessKey)),
    },
    {
      request: 'POST .../tokens/verify, service JWT (JWT caller)',
      budget: 0,
      counts: await counted(() => verify(service.bearer_token)),
    },
    {
      request: 'GET /api/tokens, rate-limited token',
      budget: 3,
      counts: await counted(() => http('GET', '/api/tokens', limited.accessKey)),
    },
    {
      request: 'GET /example/orders (authorizer), first call',
      budget: 1,
      counts: await counted(() => http('GET', '/example/orders', orders.accessKey)),
    },
    {
      request: 'GET /example/orders (authorizer), cached',
      budget: 0,
      counts: await counted(() => http('GET', '/example/orders', orders.accessKey)),
    },
  ].map((row) => {
    const total = Object.values(row.counts).reduce((a, b) => a + b, 0)
    return { ...row, total, withinBudget: total <= row.budget }
  })
  if (!timings) {
    await app.close()
    await dynamodb?.stop()
    return { calls, timed: undefined }
  }

  // 2. Hot path latency: raw SDK floor (a), handler in process (b), full HTTP (c).
  const ownKey = keys.accessToken('acme', 'admin', 1)
  const rawList = async () => {
    await db.send(new GetCommand({ TableName: tableName, Key: ownKey, ConsistentRead: true }))
    await db.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :p)',
        ExpressionAttributeValues: { ':pk': ownKey.PK, ':p': 'PAT#' },
        ConsistentRead: true,
      }),
    )
  }
  const rawCreate = async () => {
    await db.send(new GetCommand({ TableName: tableName, Key: ownKey, ConsistentRead: true }))
    const { Attributes } = await db.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.user('acme', 'admin'),
        UpdateExpression: 'ADD tokenSeq :one',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    )
    const id = Number(Attributes?.tokenSeq)
    const name = nextName()
    await db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: tableName,
              Item: { ...keys.accessToken('acme', 'admin', id), id, name },
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
          {
            Put: {
              TableName: tableName,
              Item: { ...keys.accessTokenName('acme', 'admin', name), tokenId: id },
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
        ],
      }),
    )
  }
  const rawProjects = () =>
    db.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :p)',
        ExpressionAttributeValues: { ':pk': 'TEAM#acme', ':p': 'PROJECT#' },
        Limit: 101,
        ConsistentRead: true,
      }),
    )
  const invoke =
    (
      handler: Handler,
      method: string,
      path: string,
      body?: unknown,
      route?: { key: string; params: Record<string, string>; credential: string },
    ) =>
    () => {
      const raw = body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body))
      const headers = {
        authorization: `Bearer ${route?.credential ?? token}`,
        'content-type': 'application/json',
      }
      const event = toLambdaEvent(
        { method, url: path, headers, body: raw, sourceIp: '127.0.0.1', requestId: 'bench' },
        route?.key ?? `${method} ${path}`,
        route?.params,
      )
      return handler(event, {} as Context)
    }
  const load = httpClient(app.url)
  const compare = async (
    label: string,
    a: () => Promise<unknown>,
    b: () => Promise<unknown>,
    c: () => Promise<unknown>,
  ) => {
    const floor = await startHttpFloor(a)
    const d = floor.task
    const rows = []
    for (const inFlight of [1, n.inFlight]) {
      // Warm every path, then measure them in turn, round after round, and keep each
      // path's median round: on 2 shared cores one unlucky run otherwise decides a row.
      for (const task of [a, b, c, d]) await measure(task, Math.ceil(n.requests / 4), inFlight)
      const runs: Timing[][] = [[], [], [], []]
      for (let pass = 0; pass < n.rounds; pass++) {
        for (const [i, task] of [a, b, c, d].entries())
          runs[i]?.push(await measure(task, n.requests, inFlight))
      }
      const [raw, handler, full, bare] = runs.map(medianTiming) as [Timing, Timing, Timing, Timing]
      const ratio = (x: Timing, to: Timing = raw) => ({
        p50: round(x.p50 / to.p50),
        rps: round(to.rps / x.rps),
      })
      rows.push({
        route: label,
        inFlight,
        raw,
        handler,
        http: full,
        httpFloor: bare,
        handlerVsRaw: ratio(handler),
        httpVsRaw: ratio(full),
        httpVsHttpFloor: ratio(full, bare),
      })
    }
    await floor.close()
    return rows
  }
  const latency = [
    ...(await compare(
      'GET /api/tokens (personal token)',
      rawList,
      invoke(handlers.list, 'GET', '/api/tokens'),
      () => load.send('GET', '/api/tokens', token),
    )),
    ...(await compare(
      'GET /v1/teams/{team}/projects (JWT)',
      rawProjects,
      invoke(handlers.projects, 'GET', '/v1/teams/acme/projects', undefined, {
        key: 'GET /v1/teams/{team}/projects',
        params: { team: 'acme' },
        credential: service.bearer_token,
      }),
      () => load.send('GET', '/v1/teams/acme/projects', service.bearer_token),
    )),
    ...(await compare(
      'POST /api/tokens',
      rawCreate,
      () => invoke(handlers.create, 'POST', '/api/tokens', { name: nextName() })(),
      () => load.send('POST', '/api/tokens', token, { name: nextName() }),
    )),
  ]

  // 7. Enrollment, by token and secretless, sequential over HTTP; and the STS stand-in's
  // own round trip, which on AWS is the real STS (a network call to a regional endpoint).
  const enrollment = await (async () => {
    // A fresh token: the one above was deleted by the call-count rows.
    const { token: fresh } = await http(
      'POST',
      `${project}/server_enrollment_tokens`,
      service.bearer_token,
      { description: 'bench enrollment latency' },
    )
    const byToken = await measure(
      () => load.send('POST', `${project}/servers`, fresh, { hostname: 'tok' }),
      n.requests,
      1,
    )
    // Signed ahead, so signing (the agent's work) is not timed.
    const bodies = await Promise.all(Array.from({ length: n.requests }, secretless))
    const awsIam = await measure(
      () => load.send('POST', `${project}/servers`, undefined, bodies.pop()),
      n.requests,
      1,
    )
    const direct = await Promise.all(Array.from({ length: n.requests }, signedIdentity))
    const stsStandIn = await measure(
      async () => {
        const request = direct.pop()
        const response = await fetch(`${sts.url}/`, {
          method: 'POST',
          headers: request?.headers,
          body: request?.body,
        })
        if (response.status !== 200) throw new Error(`STS stand-in: ${response.status}`)
        await response.text()
      },
      n.requests,
      1,
    )
    return { byToken, awsIam, stsStandIn }
  })()

  // 4. Scale: one user's n tokens, listed and deleted, against a raw loop doing the same.
  const scale: ScaleRow[] = []
  for (const count of n.scale) {
    const username = `scale${count}`
    const { putUser } = await import('../shared/data/users.js')
    const { createAccessToken } = await import('../shared/domain/access-tokens.js')
    await putUser({
      team: 'acme',
      username,
      role: 'member',
      passwordHash: null,
      mfaEnabled: false,
      createdAt: new Date().toISOString(),
    })
    const own = (await createAccessToken({ team: 'acme', username }, { name: 'own' })).accessKey
    const owner = { team: 'acme', username }
    await seedAccessTokens(db, tableName, owner, count)
    const pk = keys.accessToken('acme', username, 1).PK
    const rawQuery = async (prefix: string, projection?: string) => {
      const items: Record<string, unknown>[] = []
      const pages = paginateQuery(
        { client: db },
        {
          TableName: tableName,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :p)',
          ExpressionAttributeValues: { ':pk': pk, ':p': prefix },
          ConsistentRead: true,
          ...(projection && { ProjectionExpression: projection }),
        },
      )
      for await (const page of pages) items.push(...(page.Items ?? []))
      return items
    }
    const time = async (task: () => Promise<unknown>) => {
      const t0 = performance.now()
      await task()
      return round(performance.now() - t0, 1)
    }
    // Alternated, several times, the median of each: single runs here swing by half.
    const listTimes = { http: [] as number[], raw: [] as number[] }
    for (let i = 0; i < n.scaleRuns; i++) {
      listTimes.http.push(await time(() => load.send('GET', '/api/tokens', own)))
      listTimes.raw.push(await time(() => rawQuery('PAT#')))
    }
    const listHttp = median(listTimes.http)
    const listRaw = median(listTimes.raw)
    const { deleteKeys } = await import('../shared/data/batch.js')
    const deleteRaw = await time(async () => deleteKeys((await rawQuery('PAT', 'PK, SK')) as never))
    await seedAccessTokens(db, tableName, owner, count)
    await createAccessToken(owner, { name: 'own' })
      .then((t) => t.accessKey)
      .then(async (again) => {
        const deleteHttp = await time(() => load.send('DELETE', '/api/tokens/delete-all', again))
        scale.push({
          tokens: count,
          listHttpMs: listHttp,
          listRawMs: listRaw,
          listRatio: round(listHttp / listRaw),
          deleteAllHttpMs: deleteHttp,
          deleteAllRawMs: deleteRaw,
          deleteRatio: round(deleteHttp / deleteRaw),
        })
      })
  }

  // 5. Crypto: the token check and the password KDF.
  const sample = issuePersonalToken({ team: 'acme', username: 'admin', id: 9 })
  const stored = sha256(sample.secret)
  const t0 = performance.now()
  for (let i = 0; i < n.verifies; i++) {
    const parsed = parsePersonalToken(sample.token)
    if (!parsed || !hashesMatch(stored, sha256(parsed.secret))) throw new Error('verify failed')
  }
  const verifiesPerSecond = Math.round(n.verifies / ((performance.now() - t0) / 1000))
  const kdf: number[] = []
  for (let i = 0; i < n.hashes; i++) {
    const start = performance.now()
    await hashPassword('correct horse battery staple')
    kdf.push(performance.now() - start)
  }
  const { signJws, verifyJws } = await import('../shared/keys/jws.js')
  const iat = Math.floor(Date.now() / 1000)
  const claims = {
    iss: 'latchkey',
    sub: 'a',
    team: 'acme',
    role: 'admin',
    jti: 'j',
    iat,
    exp: iat + 3600,
  }
  const jwt = await signJws('JWT', claims)
  const perSecond = async (task: () => Promise<unknown>) => {
    const start = performance.now()
    for (let i = 0; i < n.verifies / 50; i++) await task()
    return Math.round(n.verifies / 50 / ((performance.now() - start) / 1000))
  }
  const crypto = {
    tokenParseAndHashPerSecond: verifiesPerSecond,
    scryptHashMs: round(median(kdf), 1),
    es256SignPerSecond: await perSecond(() => signJws('JWT', claims)),
    es256VerifyPerSecond: await perSecond(() => verifyJws('JWT', jwt)),
  }

  // 6. Event latency, locally: a write, DynamoDB Local's stream, the poller (100 ms, as
  // npm start polls), the publisher. Its own table, with a stream, so the rest stays fast.
  const events = await measureEventLatency(app.dynamo, n.events)

  load.close()
  await app.close()
  await sts.close()
  await dynamodb?.stop()

  // 3. Cold start proxy (last: it spawns processes and should not disturb the rest).
  const cold = await measureBundles(n.bundleRuns)

  return { calls, timed: { latency, scale, crypto, events, enrollment, cold } }
}

async function measureEventLatency(dynamo: DynamoDBClient, count: number) {
  const { ensureTable } = await import('../local/ensure-table.js')
  const { startStreamPoller } = await import('../local/stream-poller.js')
  const { DynamoDBDocumentClient, PutCommand } = await import('@aws-sdk/lib-dynamodb')
  const tableName = `latchkey-events-${Date.now()}`
  await ensureTable(dynamo, tableName, { stream: true })
  const seen = new Map<string, number>()
  const poller = await startStreamPoller({
    dynamo,
    tableName,
    intervalMs: 100,
    sink: {
      put: async (batch) => {
        for (const event of batch) seen.set(String(event.detail.project), performance.now())
        return batch.map(() => 'accepted' as const)
      },
    },
  })
  const db = DynamoDBDocumentClient.from(dynamo)
  const delays: number[] = []
  for (let i = 0; i < count; i++) {
    const name = `p${i}`
    const written = performance.now()
    await db.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          PK: 'TEAM#bench',
          SK: `PROJECT#${name}`,
          kind: 'Project',
          team: 'bench',
          name,
          createdAt: new Date().toISOString(),
          createdBy: 'bench',
        },
      }),
    )
    while (!seen.has(name)) await new Promise((resolve) => setTimeout(resolve, 2))
    delays.push((seen.get(name) ?? written) - written)
  }
  await poller.stop()
  await dynamo.send(new DeleteTableCommand({ TableName: tableName }))
  const sorted = [...delays].sort((a, b) => a - b)
  const at = (q: number) =>
    round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0, 1)
  return { events: count, pollIntervalMs: 100, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1) }
}

function print(results: Awaited<ReturnType<typeof runBench>>) {
  const table = (rows: object[]) => console.table(rows)
  console.log(
    `\nLatchkey benchmark, ${results.machine.cpus} x ${results.machine.cpu}, Node ${results.machine.node}${results.machine.quick ? ' (quick: figures not meaningful)' : ''}`,
  )
  console.log('\n1. DynamoDB calls per request')
  table(
    results.calls.map((r) => ({
      request: r.request,
      calls: JSON.stringify(r.counts),
      total: r.total,
      budget: r.budget,
      ok: r.withinBudget,
    })),
  )
  console.log(
    '\n2. Hot path: raw SDK floor (a), handler in process (b), HTTP via the local server (c), the raw calls behind a bare node:http server (d); ms and requests/s',
  )
  table(
    results.latency.map((r) => ({
      route: r.route,
      inFlight: r.inFlight,
      'a p50': r.raw.p50,
      'a p99': r.raw.p99,
      'a rps': r.raw.rps,
      'b p50': r.handler.p50,
      'b rps': r.handler.rps,
      'c p50': r.http.p50,
      'c p99': r.http.p99,
      'c rps': r.http.rps,
      'd p50': r.httpFloor.p50,
      'b/a': r.handlerVsRaw.p50,
      'c/a': r.httpVsRaw.p50,
      'c/a rps': r.httpVsRaw.rps,
      'c/d': r.httpVsHttpFloor.p50,
    })),
  )
  console.log(
    '\n3. Cold start proxy: bundle size and module init in a fresh node (bare node:',
    results.cold.bareNodeMs,
    'ms; SDK floor, a DocumentClient alone:',
    results.cold.sdkFloor.initMs,
    'ms,',
    round(results.cold.sdkFloor.bytes / 1024, 1),
    'KB)',
  )
  table(results.cold.bundles.map((b) => ({ ...b, kb: round(b.bytes / 1024, 1) })))
  console.log('\n4. Scale: one user with n tokens, service vs raw Query/BatchWrite loop')
  table(results.scale)
  console.log('\n5. Crypto')
  table([results.crypto])
  console.log('\n6. Event latency, locally: write -> stream -> poller -> publisher')
  table([results.events])
  console.log('\n7. Enrollment over HTTP, sequential, ms: by token vs secretless (aws_iam)')
  table([
    { path: 'by enrollment token (GetItem + TransactWriteItems)', ...results.enrollment.byToken },
    { path: 'secretless (Query + STS + TransactWriteItems)', ...results.enrollment.awsIam },
    { path: 'the STS stand-in alone (SigV4 check in JS)', ...results.enrollment.stsStandIn },
  ])
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  process.env.LOG_LEVEL ??= 'warn'
  const quick = process.argv.includes('--quick')
  const results = await runBench({ quick })
  print(results)
  const file = quick ? 'bench/out/results.quick.json' : 'bench/results.json'
  await mkdir('bench/out', { recursive: true })
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`)
  console.log(`\nwrote ${file}`)
}
