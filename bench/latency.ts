/**
 * Section "latency": the hot paths against the floor they cannot beat, at 1, 16 and
 * 64 requests in flight. (a) the raw SDK calls the request needs at minimum, written
 * here by hand (keys as the README's table design gives them, no service code); (b)
 * the handler invoked in process; (c) the full HTTP path through the local server;
 * (d) the same raw calls behind a bare node:http server; (f) that bare server making the
 * same raw calls over the service's own DynamoDB transport (shared/aws/lean-dynamodb.ts)
 * instead of the SDK. (a) and (d) are what the minimal service written with the AWS SDK
 * costs; (c) against (f) is Latchkey's own overhead with the transport held equal. (e),
 * behind a flag, is (c) over new connections. Each JWT path twice: one
 * token (the verified-token memory answers) and 1,500 distinct tokens in rotation
 * (more than the memory holds, so every request verifies its ES256 signature).
 */
import { fork } from 'node:child_process'
import { createHash, randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks'
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda'
import * as Lean from '../shared/aws/lean-dynamodb.js'
import type { HttpResult } from '../shared/http/response.js'
import type { Bench, Sizes } from './harness.js'
import { startHttpFloor } from './http-floor.js'
import type { ClientExchange, Load } from './load-client.js'
import {
  measure,
  percentile,
  type Report,
  type Rounds,
  round,
  rounds,
  type Spread,
  show,
  spread,
  type Timing,
} from './stats.js'
import { collect, type Served, traced } from './trace.js'

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpResult>
type Task = () => Promise<unknown>
type DocumentClient = Pick<DynamoDBDocumentClient, 'send'>
const sdkCommands = {
  BatchGetCommand,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
}
type Commands = typeof sdkCommands
/**
 * Runs a load and times it: in this process (a, b) or from the load client's (c, d);
 * traced, each request's phases too (bench/trace.ts).
 */
type Run = (
  count: number,
  inFlight: number,
  trace?: boolean,
) => Promise<Timing & { exchanges?: ClientExchange[]; connects?: number }>

/** Where a tail can come from in the service's process: its event loop's delay, and GC. */
export interface Diagnosis {
  /** Event-loop delay over the round, ms: its p99 and its worst. */
  loopP99Ms: number
  loopMaxMs: number
  /** Garbage collection pauses over the round, ms per 1,000 requests. */
  gcMsPer1000: number
}

let gcMs = 0
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration
}).observe({ entryTypes: ['gc'] })

/** Runs one round with the service process's event loop and GC watched. */
async function diagnosed(
  run: Run,
  count: number,
  inFlight: number,
  trace: boolean,
): Promise<
  Timing & {
    diagnosis: Diagnosis
    connects?: number
    exchanges?: ClientExchange[]
    served?: Served[]
  }
> {
  const loop = monitorEventLoopDelay({ resolution: 1 })
  const gcBefore = gcMs
  loop.enable()
  const { result: timing, served } = trace
    ? await collect(() => run(count, inFlight, true))
    : { result: await run(count, inFlight), served: undefined }
  loop.disable()
  const ms = (ns: number) => round(ns / 1e6)
  return {
    ...timing,
    served,
    diagnosis: {
      loopP99Ms: ms(loop.percentile(99)),
      loopMaxMs: ms(loop.max),
      gcMsPer1000: round(((gcMs - gcBefore) / count) * 1000),
    },
  }
}
type Remote = Omit<Load, 'id' | 'count' | 'inFlight' | 'base'>

/**
 * The load client in its own process. Latency is what it sees; CPU per request is
 * this process's (the service's, or the bare floor server's) over the same load.
 */
function startLoadClient() {
  const child = fork(new URL('./load-client.ts', import.meta.url).pathname, [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  let next = 0
  type Reply = { timing?: Timing; connects?: number; exchanges?: ClientExchange[]; error?: string }
  const waiting = new Map<number, (reply: Reply) => void>()
  child.on('message', (reply: Reply & { id: number }) => {
    waiting.get(reply.id)?.(reply)
    waiting.delete(reply.id)
  })
  const run =
    (base: string, load: Remote): Run =>
    async (count, inFlight, trace) => {
      const id = next++
      const cpu = process.cpuUsage()
      const reply = await new Promise<Reply>((resolve) => {
        waiting.set(id, resolve)
        child.send({ ...load, id, base, count, inFlight, trace } satisfies Load)
      })
      const used = process.cpuUsage(cpu)
      if (!reply.timing) throw new Error(`load client: ${reply.error}`)
      return {
        ...reply.timing,
        cpuUs: Math.round((used.user + used.system) / count),
        connects: reply.connects,
        exchanges: reply.exchanges,
      }
    }
  return { run, close: () => child.disconnect() }
}

export interface LatencyRow {
  route: string
  inFlight: number
  raw: Rounds
  handler: Rounds
  http: Rounds
  httpFloor: Rounds
  /**
   * (f): the HTTP floor over the service's own DynamoDB transport, the bare server of (d)
   * making the same raw calls through shared/aws/lean-dynamodb.ts instead of the SDK:
   * (c) against it is Latchkey's own overhead, the transport held equal. Absent in
   * results from before it was measured.
   */
  leanFloor?: Rounds
  /** (e), with `--fresh-connections` only: (c) over new connections every round. */
  httpFresh?: Rounds
  /**
   * New connections the load client opened per measured round, to the local server (c)
   * and to the bare floors (d) and (f): 0 when the warm-up's keep-alive connections serve
   * the rounds (absent in results from before it was counted).
   */
  connections?: { http: Spread; httpFloor: Spread; leanFloor?: Spread }
  /** The service process during (a) and (c): event-loop delay and GC, spread over rounds. */
  serviceProcess: Record<'raw' | 'http', Record<keyof Diagnosis, Spread>>
  /**
   * Ratios of the medians: p50 (b)/(a), (c)/(a), (c)/(d), (c)/(f); p99 (c)/(a); CPU per
   * request (c)/(a), (c)/(d), (c)/(f).
   */
  ratios: {
    p50HandlerRaw: number
    p50HttpRaw: number
    p50HttpFloor: number
    p50HttpLeanFloor?: number
    p99HttpRaw: number
    cpuHttpRaw: number
    cpuHttpFloor: number
    cpuHttpLeanFloor?: number
  }
}

/** A path of the hot-path section, by the letter the README's table gives it. */
type Side = 'a' | 'b' | 'c' | 'd' | 'e' | 'f'

const pad = (id: number) => String(id).padStart(16, '0')

/** The user the floors create tokens as: their own, so no service user's list grows with them. */
const FLOOR_USER = 'raw-floor'

/** A narrower latency run (`npm run bench -- --only latency --rows a,b --in-flight 64 --trace f`). */
export interface LatencySelection {
  /** Only these rows, by key (all when absent). */
  rows?: string[]
  /** Only these in-flight levels (the sizes' when absent). */
  inFlight?: number[]
  /** Every request's phases, one line per round and side, into this file (bench/trace.ts). */
  traceFile?: string
  /**
   * One more path, (e): (c) over new connections every round (warm-up included), as the
   * bench loaded it before issue 17's tail was traced, in the same rounds as the others.
   */
  freshConnections?: boolean
}

export async function measureLatency(
  bench: Bench,
  n: Sizes,
  select: LatencySelection = {},
): Promise<LatencyRow[]> {
  const { db, tableName: TableName, token, serviceToken, project, nextName } = bench
  const { toLambdaEvent } = await import('../local/event.js')
  const handlers = {
    list: (await import('../functions/tokens/list.js')).handler as Handler,
    create: (await import('../functions/tokens/create.js')).handler as Handler,
    projects: (await import('../functions/projects/list.js')).handler as Handler,
    enroll: (await import('../functions/servers/enroll.js')).handler as Handler,
    verify: (await import('../functions/tokens/verify.js')).handler as Handler,
  }
  // Distinct service tokens, signed as the exchange signs them (same key, claims, hour).
  const { signJws } = await import('../shared/keys/jws.js')
  const { config } = await import('../shared/context.js')
  const iat = Math.floor(Date.now() / 1000)
  const jwts = await Promise.all(
    Array.from({ length: n.distinctJwts }, () =>
      signJws('JWT', {
        iss: config().jwt.issuer,
        sub: 'admin',
        team: 'acme',
        role: 'admin',
        jti: randomUUID(),
        iat,
        exp: iat + 3600,
      }),
    ),
  )
  let turn = 0
  const rotating = () => jwts[turn++ % jwts.length] ?? serviceToken
  // The create row's tokens are spread over users of their own: a user holds at most
  // 1,000 (the token policy's quota, issue 14), and a run creates far more than that.
  const { putUser } = await import('../shared/data/users.js')
  const { createAccessToken } = await import('../shared/domain/access-tokens.js')
  // What the create row makes, (b) and (c): as the loop below counts, warm-up included.
  const creations = n.inFlight.reduce((sum, inFlight) => {
    const count = Math.max(n.requests, 4 * inFlight)
    return sum + 2 * (count * n.rounds + Math.ceil(count / 4))
  }, 0)
  const creators: string[] = []
  for (let i = 0; i < Math.ceil(creations / 500); i++) {
    const username = `creator-${i}`
    const createdAt = new Date().toISOString()
    const user = { role: 'member' as const, passwordHash: null, mfaEnabled: false, createdAt }
    await putUser({ team: 'acme', username, ...user })
    creators.push(
      (await createAccessToken({ team: 'acme', username }, { name: 'bench' })).accessKey,
    )
  }
  let creator = 0
  const nextCreator = () => creators[creator++ % creators.length] ?? token
  const client = startLoadClient()
  const local =
    (task: Task): Run =>
    (count, inFlight, trace) =>
      measure(trace ? traced(task) : task, count, inFlight)

  const userPk = 'TEAM#acme#USER#admin'
  const floorPk = `TEAM#acme#USER#${FLOOR_USER}`
  const ownKey = { PK: userPk, SK: `PAT#${pad(1)}` }
  const projectPk = 'TEAM#acme#PROJECT#bench'
  const found = await db.send(new GetCommand({ TableName, Key: ownKey, ConsistentRead: true }))
  if (!found.Item) throw new Error('the raw floor reads no token: the key pattern changed')
  // The raw floor's own enrollment token: the same item shape the transaction checks.
  await db.send(
    new UpdateCommand({
      TableName,
      Key: { PK: projectPk, SK: 'SET#raw-floor' },
      UpdateExpression: 'SET uses = :zero, secretHash = :hash',
      ExpressionAttributeValues: { ':zero': 0, ':hash': 'h' },
    }),
  )
  // Verify's subject: a personal token of its own (no rate limit), asked about with the
  // service JWT, whose own check costs no call. The service reads the token beside its
  // user's delete-all mark in one strongly consistent BatchGetItem; the floor does that.
  const subject = await createAccessToken({ team: 'acme', username: 'admin' }, { name: 'verified' })
  const verified = { token: subject.accessKey }
  const checked = await bench.http('POST', '/v1/teams/acme/tokens/verify', serviceToken, verified)
  if (checked?.code !== 'VALID') throw new Error(`verify's subject is ${checked?.code}, not VALID`)

  /**
   * The raw calls each request needs at minimum, written here by hand (keys as the
   * README's table design gives them, no service code), over a given DocumentClient and
   * its commands: the AWS SDK's for (a) and (d), the service's own transport's for (f),
   * as a deployed bundle (and the local server, local/lean-alias.ts) builds them.
   */
  const floorCalls = (db: DocumentClient, c: Commands) => ({
    // One Query: it returns the caller's own token item (with its hash) among the list,
    // which is all the service reads too (its budget: 1 call).
    list: () =>
      db.send(
        new c.QueryCommand({
          TableName,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :p)',
          ExpressionAttributeValues: { ':pk': userPk, ':p': 'PAT#' },
          ConsistentRead: true,
        }),
      ),
    create: async () => {
      // The caller's token and its user's revocation mark (delete-all), in one strongly
      // consistent BatchGetItem: what authenticating a personal token needs, as the
      // service reads it and the verify floor below does.
      await db.send(
        new c.BatchGetCommand({
          RequestItems: {
            [TableName]: { Keys: [{ PK: userPk, SK: 'PAT#' }, ownKey], ConsistentRead: true },
          },
        }),
      )
      // The team's token policy is read alongside the next id (issue 14).
      const [, { Attributes }] = await Promise.all([
        db.send(
          new c.GetCommand({
            TableName,
            Key: { PK: 'TEAM#acme', SK: 'TOKENPOLICY' },
            ConsistentRead: true,
          }),
        ),
        db.send(
          new c.UpdateCommand({
            TableName,
            Key: { PK: 'TEAM#acme', SK: `USER#${FLOOR_USER}` },
            UpdateExpression: 'ADD tokenSeq :one',
            ExpressionAttributeValues: { ':one': 1 },
            ReturnValues: 'UPDATED_NEW',
          }),
        ),
      ])
      const id = Number(Attributes?.tokenSeq)
      const name = nextName()
      return db.send(
        new c.TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName,
                // As much as the service stores of a new token (its secret's hash, its
                // date, the due index's keys: a second write inside DynamoDB), under a
                // user of the floor's own so no service user's list grows with them.
                Item: {
                  PK: floorPk,
                  SK: `PAT#${pad(id)}`,
                  kind: 'AccessToken',
                  team: 'acme',
                  username: FLOOR_USER,
                  id,
                  name,
                  secretHash: createHash('sha256').update(randomUUID()).digest('hex'),
                  dateCreated: new Date().toISOString(),
                  GSI1PK: 'TEAM#acme#TOKENS',
                  GSI1SK: `~#${FLOOR_USER}#${pad(id)}`,
                },
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
            {
              Put: {
                TableName,
                Item: {
                  PK: floorPk,
                  SK: `PATNAME#${name}`,
                  kind: 'AccessTokenName',
                  team: 'acme',
                  username: FLOOR_USER,
                  name,
                  tokenId: id,
                },
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
            {
              // The user's count under the quota and the list's bytes under its bound
              // (GET /api/tokens answers them all at once), and the id above the user's
              // delete-all mark, as the service's guarantees need: on an item of the
              // floor's own, so the service's users keep their counts.
              Update: {
                TableName,
                Key: { PK: 'TEAM#acme', SK: `USER#${FLOOR_USER}` },
                UpdateExpression:
                  'ADD tokenCount :one SET tokenBytes = if_not_exists(tokenBytes, :zero) + :bytes',
                ConditionExpression:
                  '(attribute_not_exists(tokenCount) OR tokenCount < :quota) AND (attribute_not_exists(tokenBytes) OR tokenBytes <= :room) AND (attribute_not_exists(revokedThrough) OR revokedThrough < :id)',
                ExpressionAttributeValues: {
                  ':one': 1,
                  ':zero': 0,
                  ':quota': Number.MAX_SAFE_INTEGER,
                  ':bytes': Buffer.byteLength(JSON.stringify({ id, name, token: null })),
                  ':room': Number.MAX_SAFE_INTEGER,
                  ':id': id,
                },
              },
            },
          ],
        }),
      )
    },
    projects: () =>
      db.send(
        new c.QueryCommand({
          TableName,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :p)',
          ExpressionAttributeValues: { ':pk': 'TEAM#acme', ':p': 'PROJECT#' },
          Limit: 101,
          ConsistentRead: true,
        }),
      ),
    enroll: () =>
      db.send(
        new c.TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName,
                Key: { PK: projectPk, SK: 'SET#raw-floor' },
                UpdateExpression: 'SET uses = uses + :one, lastUsedAt = :now',
                ConditionExpression: 'secretHash = :hash',
                ExpressionAttributeValues: {
                  ':one': 1,
                  ':now': new Date().toISOString(),
                  ':hash': 'h',
                },
              },
            },
            {
              Put: {
                TableName,
                Item: {
                  PK: projectPk,
                  SK: `SERVER#${randomUUID()}`,
                  hostname: 'raw',
                  secretHash: 'h',
                },
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
            {
              ConditionCheck: {
                TableName,
                Key: { PK: 'TEAM#acme', SK: 'PROJECT#bench' },
                ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(deleting)',
              },
            },
          ],
        }),
      ),
    verify: () =>
      db.send(
        new c.BatchGetCommand({
          RequestItems: {
            [TableName]: {
              Keys: [
                { PK: userPk, SK: 'PAT#' },
                { PK: userPk, SK: `PAT#${pad(subject.token.id)}` },
              ],
              ConsistentRead: true,
            },
          },
        }),
      ),
  })
  // (f)'s client: the service's own DynamoDB transport (shared/aws/lean-dynamodb.ts, the
  // module alone: no data layer), set up as the local server's store sets it up
  // (shared/data/client.ts: the same endpoint, credentials and 30 s attempt timeout). It
  // is sent the transport's own commands, as the service's data layer is in a bundle and
  // under the bench (local/lean-alias.ts), with the same inputs as (a) and (d): (d) and
  // (f) differ by the transport (client and commands) only.
  const { region, dynamoEndpoint, localCredentials } = config()
  if (!dynamoEndpoint) throw new Error("the lean floor needs the bench's DynamoDB endpoint")
  const leanClient = new Lean.DynamoDBClient({
    region,
    endpoint: dynamoEndpoint,
    credentials: localCredentials,
    requestTimeoutMs: 30_000,
  })
  const sdkFloor = floorCalls(db, sdkCommands)
  // The lean client and commands implement the part of the SDK's DocumentClient these
  // calls use (test/unit/lean-dynamodb.test.ts holds them to the SDK's); their types are
  // their own.
  const leanFloor = floorCalls(
    Lean.DynamoDBDocumentClient.from(leanClient) as unknown as DocumentClient,
    Lean as unknown as Commands,
  )
  for (const floor of [sdkFloor, leanFloor]) {
    const subjectFound = await floor.verify()
    if (subjectFound.Responses?.[TableName]?.length !== 1)
      throw new Error('the verify floor reads no token: the key pattern changed')
  }

  const invoke =
    (
      handler: Handler,
      method: string,
      path: string,
      route: { key: string; params?: Record<string, string> },
      credential: () => string,
      body?: () => unknown,
    ): Task =>
    () => {
      const payload = body?.()
      const raw = payload === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(payload))
      const headers = {
        authorization: `Bearer ${credential()}`,
        'content-type': 'application/json',
      }
      const event = toLambdaEvent(
        { method, url: path, headers, body: raw, sourceIp: '127.0.0.1', requestId: 'bench' },
        route.key,
        route.params,
      )
      return handler(event, {} as Context).then((result) => {
        if (result.statusCode >= 300) throw new Error(`${method} ${path}: ${result.statusCode}`)
      })
    }
  const enrollmentToken = bench.enrollmentToken.token
  const servers = `${project}/servers`
  const routes: { key: string; label: string; a: Task; b: Task; c: Remote; f: Task }[] = [
    {
      key: 'tokens-list',
      label: 'GET /api/tokens (personal token)',
      a: sdkFloor.list,
      f: leanFloor.list,
      b: invoke(handlers.list, 'GET', '/api/tokens', { key: 'GET /api/tokens' }, () => token),
      c: { method: 'GET', path: '/api/tokens', tokens: [token] },
    },
    {
      key: 'projects-remembered',
      label: 'GET /v1/teams/{team}/projects (JWT, one token: remembered)',
      a: sdkFloor.projects,
      f: leanFloor.projects,
      b: invoke(
        handlers.projects,
        'GET',
        '/v1/teams/acme/projects',
        { key: 'GET /v1/teams/{team}/projects', params: { team: 'acme' } },
        () => serviceToken,
      ),
      c: { method: 'GET', path: '/v1/teams/acme/projects', tokens: [serviceToken] },
    },
    {
      key: 'projects-verified',
      label: `GET /v1/teams/{team}/projects (JWT, ${n.distinctJwts} in rotation: verified)`,
      a: sdkFloor.projects,
      f: leanFloor.projects,
      b: invoke(
        handlers.projects,
        'GET',
        '/v1/teams/acme/projects',
        { key: 'GET /v1/teams/{team}/projects', params: { team: 'acme' } },
        rotating,
      ),
      c: { method: 'GET', path: '/v1/teams/acme/projects', tokens: jwts },
    },
    {
      key: 'tokens-create',
      label: 'POST /api/tokens (personal token)',
      a: sdkFloor.create,
      f: leanFloor.create,
      b: invoke(
        handlers.create,
        'POST',
        '/api/tokens',
        { key: 'POST /api/tokens' },
        nextCreator,
        () => ({ name: nextName() }),
      ),
      c: { method: 'POST', path: '/api/tokens', tokens: creators, body: 'name' },
    },
    {
      key: 'enroll',
      label: 'POST .../servers (enrollment token)',
      a: sdkFloor.enroll,
      f: leanFloor.enroll,
      b: invoke(
        handlers.enroll,
        'POST',
        servers,
        {
          key: 'POST /v1/teams/{team}/projects/{project}/servers',
          params: { team: 'acme', project: 'bench' },
        },
        () => enrollmentToken,
        () => ({ hostname: 'bench' }),
      ),
      c: { method: 'POST', path: servers, tokens: [enrollmentToken], body: 'hostname' },
    },
    {
      key: 'verify',
      label: 'POST /v1/teams/{team}/tokens/verify (JWT caller, personal token verified)',
      a: sdkFloor.verify,
      f: leanFloor.verify,
      b: invoke(
        handlers.verify,
        'POST',
        '/v1/teams/acme/tokens/verify',
        { key: 'POST /v1/teams/{team}/tokens/verify', params: { team: 'acme' } },
        () => serviceToken,
        () => verified,
      ),
      c: {
        method: 'POST',
        path: '/v1/teams/acme/tokens/verify',
        tokens: [serviceToken],
        body: { fixed: verified },
      },
    },
  ]

  const rows: LatencyRow[] = []
  const traces = select.traceFile ? createWriteStream(select.traceFile) : undefined
  const chosen = routes.filter((route) => !select.rows || select.rows.includes(route.key))
  const unknown = select.rows?.filter((key) => !routes.some((route) => route.key === key))
  if (unknown?.length)
    throw new Error(`unknown latency row ${unknown}: one of ${routes.map((r) => r.key)}`)
  for (const { key, label, a, b, c, f } of chosen) {
    const floor = await startHttpFloor(a)
    const leanHttpFloor = await startHttpFloor(f)
    const bare: Remote = { method: 'GET', path: '/', tokens: [''] }
    // Every path of the row by its letter, measured in this order round after round.
    const paths: [Side, Run][] = [
      ['a', local(a)],
      ['b', local(b)],
      ['c', client.run(bench.app.url, c)],
      ['d', client.run(floor.url, bare)],
      ['f', client.run(leanHttpFloor.url, bare)],
      ...(select.freshConnections
        ? [['e', client.run(bench.app.url, { ...c, fresh: true })] as [Side, Run]]
        : []),
    ]
    for (const inFlight of select.inFlight ?? n.inFlight) {
      // At least 4 requests per worker, or p99 is only the first wave of a burst.
      const count = Math.max(n.requests, 4 * inFlight)
      // Warm every path, then measure them in turn, round after round: on shared
      // cores one unlucky run otherwise decides a row, so every row shows its spread.
      for (const [, path] of paths) await path(Math.ceil(count / 4), inFlight)
      const runs = new Map<Side, Timing[]>()
      const diagnoses = new Map<Side, Diagnosis[]>()
      const connects = new Map<Side, number[]>()
      const add = <T>(map: Map<Side, T[]>, side: Side, value: T) =>
        map.set(side, [...(map.get(side) ?? []), value])
      for (let pass = 0; pass < n.rounds; pass++) {
        for (const [side, path] of paths) {
          const {
            diagnosis,
            exchanges,
            served,
            connects: opened,
            ...timing
          } = await diagnosed(path, count, inFlight, traces !== undefined)
          traces?.write(`${JSON.stringify({ key, inFlight, pass, side, exchanges, served })}\n`)
          add(runs, side, timing)
          add(diagnoses, side, diagnosis)
          if (opened !== undefined) add(connects, side, opened)
        }
      }
      const watched = (side: Side) => {
        const of = (key: keyof Diagnosis) => spread((diagnoses.get(side) ?? []).map((d) => d[key]))
        return {
          loopP99Ms: of('loopP99Ms'),
          loopMaxMs: of('loopMaxMs'),
          gcMsPer1000: of('gcMsPer1000'),
        }
      }
      const of = (side: Side) => rounds(runs.get(side) ?? [])
      const [raw, handler, http, httpFloor, leanFloor] = [
        of('a'),
        of('b'),
        of('c'),
        of('d'),
        of('f'),
      ]
      const r = (x: number, y: number) => round(x / y)
      rows.push({
        route: label,
        inFlight,
        raw,
        handler,
        http,
        httpFloor,
        leanFloor,
        ...(runs.has('e') && { httpFresh: of('e') }),
        connections: {
          http: spread(connects.get('c') ?? [], 0),
          httpFloor: spread(connects.get('d') ?? [], 0),
          leanFloor: spread(connects.get('f') ?? [], 0),
        },
        serviceProcess: { raw: watched('a'), http: watched('c') },
        ratios: {
          p50HandlerRaw: r(handler.p50.median, raw.p50.median),
          p50HttpRaw: r(http.p50.median, raw.p50.median),
          p50HttpFloor: r(http.p50.median, httpFloor.p50.median),
          p50HttpLeanFloor: r(http.p50.median, leanFloor.p50.median),
          p99HttpRaw: r(http.p99.median, raw.p99.median),
          cpuHttpRaw: r(http.cpuUs.median, raw.cpuUs.median),
          cpuHttpFloor: r(http.cpuUs.median, httpFloor.cpuUs.median),
          cpuHttpLeanFloor: r(http.cpuUs.median, leanFloor.cpuUs.median),
        },
      })
    }
    await floor.close()
    await leanHttpFloor.close()
  }
  leanClient.destroy()
  client.close()
  traces?.end()
  return rows
}

export function printLatency(report: Report, rows: LatencyRow[]) {
  // (f) is in every run since it was added; a results file from before has none.
  const lean = rows.some((r) => r.leanFloor)
  report.log(
    `\nHot path: (a) raw SDK floor, (b) handler in process, (c) HTTP via the local server, (d) the raw calls behind a bare node:http server${lean ? ", (f) the same bare server and raw calls over the service's own DynamoDB transport (shared/aws/lean-dynamodb.ts) instead of the SDK" : ''}. ms, median (min-max) of rounds; CPU µs per request of the service process (the load client runs in its own); c conns: new connections the load client opened per measured round (its keep-alive pool is opened by the warm-up)${rows.some((r) => r.httpFresh) ? '; (e) is (c) over new connections every round' : ''}`,
  )
  report.table(
    rows.map((r) => ({
      route: r.route,
      n: r.inFlight,
      'a p50': show(r.raw.p50),
      'a p99': show(r.raw.p99),
      'b p50': show(r.handler.p50),
      'c p50': show(r.http.p50),
      'c p99': show(r.http.p99),
      'c rps': show(r.http.rps),
      'd p50': show(r.httpFloor.p50),
      'd p99': show(r.httpFloor.p99),
      ...(r.leanFloor && { 'f p50': show(r.leanFloor.p50), 'f p99': show(r.leanFloor.p99) }),
      'c cpu': show(r.http.cpuUs),
      'd cpu': show(r.httpFloor.cpuUs),
      ...(r.leanFloor && { 'f cpu': show(r.leanFloor.cpuUs) }),
      'c/a p50': r.ratios.p50HttpRaw,
      'c/d p50': r.ratios.p50HttpFloor,
      ...(r.leanFloor && { 'c/f p50': r.ratios.p50HttpLeanFloor ?? '-' }),
      'c/a p99': r.ratios.p99HttpRaw,
      'c/a cpu': r.ratios.cpuHttpRaw,
      'c/d cpu': r.ratios.cpuHttpFloor,
      ...(r.leanFloor && { 'c/f cpu': r.ratios.cpuHttpLeanFloor ?? '-' }),
      'c conns': r.connections ? show(r.connections.http) : '-',
      ...(r.httpFresh && {
        'e p99': show(r.httpFresh.p99),
        'e/a p99': round(r.httpFresh.p99.median / r.raw.p99.median),
      }),
      'c loop p99': show(r.serviceProcess.http.loopP99Ms),
      'c loop max': show(r.serviceProcess.http.loopMaxMs),
      'c gc/1000': show(r.serviceProcess.http.gcMsPer1000),
      'a loop p99': show(r.serviceProcess.raw.loopP99Ms),
    })),
  )
}

export interface EnrollmentPaths {
  byToken: Rounds
  awsIam: Rounds
  stsStandIn: Rounds
}

/**
 * Enrollment by token and secretless, sequential over HTTP, and the STS stand-in's
 * own round trip (on AWS the real STS, a call to a regional endpoint).
 */
export async function measureEnrollmentPaths(bench: Bench, n: Sizes): Promise<EnrollmentPaths> {
  const { load, project, sts } = bench
  const count = Math.ceil(n.requests / 4)
  const runs: Timing[][] = [[], [], []]
  for (let pass = 0; pass < n.rounds; pass++) {
    runs[0]?.push(
      await measure(
        () =>
          load.send('POST', `${project}/servers`, bench.enrollmentToken.token, { hostname: 'tok' }),
        count,
        1,
      ),
    )
    // Signed ahead, so signing (the agent's work) is not timed.
    const bodies = await Promise.all(Array.from({ length: count }, bench.secretless))
    runs[1]?.push(
      await measure(
        () => load.send('POST', `${project}/servers`, undefined, bodies.pop()),
        count,
        1,
      ),
    )
    const direct = await Promise.all(Array.from({ length: count }, bench.signedIdentity))
    runs[2]?.push(
      await measure(
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
        count,
        1,
      ),
    )
  }
  const [byToken, awsIam, stsStandIn] = runs.map(rounds) as [Rounds, Rounds, Rounds]
  return { byToken, awsIam, stsStandIn }
}

export function printEnrollmentPaths(report: Report, result: EnrollmentPaths) {
  report.log('\nEnrollment over HTTP, sequential, ms: by token vs secretless (aws_iam)')
  const row = (path: string, r: Rounds) => ({ path, p50: show(r.p50), p99: show(r.p99) })
  report.table([
    row('by enrollment token (1 TransactWriteItems)', result.byToken),
    row('secretless (Query + STS + TransactWriteItems)', result.awsIam),
    row('the STS stand-in alone (SigV4 check in JS)', result.stsStandIn),
  ])
}

export interface RateLimitRound {
  /** 200, 429, 5xx and any other status, of the burst's requests. */
  passed: number
  limited: number
  failed: number
  other: number
  /** The burst's wall time and its requests' latencies, ms. */
  wallMs: number
  p50: number
  p99: number
  /** The service's DynamoDB calls over the whole burst, by operation. */
  calls: Record<string, number>
}

export interface RateLimitRace {
  requests: number
  limit: number
  /** Every round let exactly `limit` through, refused the rest with 429 and had no 5xx. */
  exact: boolean
  rounds: RateLimitRound[]
}

const RACE = { requests: 200, limit: 50 }

/**
 * API.md, Rate limits: 200 simultaneous requests of one token limited to 50 let exactly
 * 50 through, with no 5xx. Each round a fresh token (its window unused), the burst sent
 * all at once over fresh connections (fetch opens as many as are asked for), and the
 * service's calls counted over it.
 */
export async function measureRateLimitRace(bench: Bench, n: Sizes): Promise<RateLimitRace> {
  const rounds: RateLimitRound[] = []
  for (let pass = 0; pass < n.rounds; pass++) {
    const { accessKey } = await bench.http('POST', '/api/tokens', bench.token, {
      name: bench.nextName(),
      rateLimit: { limit: RACE.limit, windowSeconds: 3600 },
    })
    const statuses: number[] = []
    const latencies: number[] = []
    let wallMs = 0
    const calls = await bench.counted(async () => {
      const started = performance.now()
      await Promise.all(
        Array.from({ length: RACE.requests }, async () => {
          const t0 = performance.now()
          const response = await fetch(new URL('/api/tokens', bench.app.url), {
            headers: { authorization: `Bearer ${accessKey}` },
          })
          await response.arrayBuffer()
          latencies.push(performance.now() - t0)
          statuses.push(response.status)
        }),
      )
      wallMs = performance.now() - started
    })
    latencies.sort((a, b) => a - b)
    const count = (test: (status: number) => boolean) => statuses.filter(test).length
    rounds.push({
      passed: count((s) => s === 200),
      limited: count((s) => s === 429),
      failed: count((s) => s >= 500),
      other: count((s) => s !== 200 && s !== 429 && s < 500),
      wallMs: round(wallMs),
      p50: round(percentile(latencies, 50)),
      p99: round(percentile(latencies, 99)),
      calls,
    })
  }
  const exact = rounds.every(
    (r) =>
      r.passed === RACE.limit &&
      r.limited === RACE.requests - RACE.limit &&
      r.failed === 0 &&
      r.other === 0,
  )
  return { ...RACE, exact, rounds }
}

export function printRateLimitRace(report: Report, result: RateLimitRace) {
  report.log(
    `\nRate-limit exactness: ${result.requests} simultaneous GET /api/tokens of one token limited to ${result.limit}, a fresh token each round: ${result.exact ? 'exact in every round' : 'NOT EXACT'}`,
  )
  report.table(
    result.rounds.map((r, i) => ({
      round: i + 1,
      'passed (200)': r.passed,
      'limited (429)': r.limited,
      'failed (5xx)': r.failed,
      other: r.other,
      'wall ms': r.wallMs,
      p50: r.p50,
      p99: r.p99,
      calls: Object.entries(r.calls)
        .map(([name, count]) => `${name} ${count}`)
        .join(', '),
    })),
  )
}
