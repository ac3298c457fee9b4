import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { onAuthorizerCall, startAuthorizerGate } from '../../local/authorizer.js'
import * as Lean from '../../shared/aws/lean-dynamodb.js'
import { config } from '../../shared/context.js'
import { keys } from '../../shared/data/keys.js'
import { startTestApp } from '../support/app.js'
import { expectRetryHeaders } from '../support/retry-headers.js'

/**
 * The authorizer for users' own APIs: over HTTP through `npm start`'s example route
 * (GET /example/orders, scope orders:read), and its decision function with a
 * controllable clock for the revocation bound, on DynamoDB Local.
 */
let app: Awaited<ReturnType<typeof startTestApp>>
let calls = 0

beforeAll(async () => {
  app = await startTestApp('acme')
  app.dynamo.middlewareStack.add(
    (next) => async (args) => {
      calls++
      return next(args)
    },
    { step: 'initialize', name: 'countCalls' },
  )
})
afterAll(() => app?.close())

const make = async (body: Record<string, unknown>) =>
  (await app.api('POST', '/api/tokens', { token: app.admin.token, body })).body
// Not Latchkey's own contract: the example stands for a user's API behind the authorizer.
const orders = (token?: string) => app.api('GET', '/example/orders', { token, unchecked: true })

describe('GET /example/orders behind the authorizer (npm start)', () => {
  it('lets a token with the scope through, passing who it is to the integration', async () => {
    const made = await make({ name: 'orders reader', scopes: ['orders:read'] })
    const reply = await orders(made.accessKey)
    expect(reply.status).toBe(200)
    expect(reply.body.caller).toEqual({
      team: 'acme',
      user: 'admin',
      tokenId: String(made.token.id),
      kind: 'personal',
      scopes: 'orders:read',
    })
  })

  it('answers 403 to a token without the scope, and to one made without scopes', async () => {
    const made = await make({ name: 'no orders', scopes: ['orders:write'] })
    expect((await orders(made.accessKey)).status).toBe(403)
    expect((await orders(app.admin.token)).status).toBe(403)
  })

  it('answers 401 to a deleted token, no token, garbage and another team', async () => {
    const made = await make({ name: 'deleted', scopes: ['orders:read'] })
    await app.api('DELETE', `/api/tokens/${made.token.id}`, { token: app.admin.token })
    const foreign = await app.addUser('globex', 'gus', 'admin')
    for (const token of [made.accessKey, undefined, 'garbage', foreign]) {
      const reply = await orders(token)
      expect(reply.status).toBe(401)
      expect(reply.body).toEqual({ message: 'Unauthorized' })
    }
  })

  it('answers 429 with Retry-After to a token over its rate limit', async () => {
    const made = await make({
      name: 'limited orders',
      scopes: ['orders:read'],
      rateLimit: { limit: 2, windowSeconds: 600 },
    })
    const seen: string[] = []
    const stop = onAuthorizerCall((operation) => seen.push(operation))
    try {
      expect((await orders(made.accessKey)).status).toBe(200)
      // The lookup, the count (claiming the due lastUsed), then that one lastUsed write.
      expect(seen).toEqual(['BatchGetItem', 'UpdateItem', 'UpdateItem'])
      expect((await orders(made.accessKey)).status).toBe(200)
      expect(seen.slice(3)).toEqual(['BatchGetItem', 'UpdateItem']) // lastUsed is fresh now
    } finally {
      stop()
    }
    const sentAt = Date.now()
    const over = await orders(made.accessKey)
    expect(over.status).toBe(429)
    // As Latchkey's own 429: both retry headers, naming the window's end.
    expectRetryHeaders(over.headers, sentAt, Date.now())
    expect(Number(over.headers.get('x-ratelimit-retry-at'))).toBeGreaterThanOrEqual(
      Number(over.headers.get('x-ratelimit-reset')),
    )
    expect(over.headers.get('x-ratelimit-remaining')).toBe('0')
  })

  it("runs the Lambda's own bundle, its lean transport making every call (none by the SDK)", async () => {
    const made = await make({ name: 'counted orders', scopes: ['orders:read'] })
    const seen: string[] = []
    const stop = onAuthorizerCall((operation) => seen.push(operation))
    try {
      const before = calls
      expect((await orders(made.accessKey)).status).toBe(200)
      // The token beside its user's revocation mark, and its first lastUsed.
      expect(seen).toEqual(['BatchGetItem', 'UpdateItem'])
      expect((await orders(made.accessKey)).status).toBe(200)
      expect(seen).toHaveLength(2) // cached in its container: no call
      expect(calls).toBe(before) // the service's own SDK client was not used
    } finally {
      stop()
    }
  })

  it('takes a service JWT minted from a scoped token', async () => {
    const made = await make({ name: 'jwt orders', scopes: ['orders:read'] })
    const exchange = await app.api('POST', '/v1/teams/acme/service_token', {
      body: { key_id: String(made.token.id), key_secret: made.accessKey },
    })
    const reply = await orders(exchange.body.bearer_token)
    expect(reply.status).toBe(200)
    expect(reply.body.caller).toMatchObject({ kind: 'service', scopes: 'orders:read' })
  })
})

describe("the authorizer's gate to DynamoDB Local (local IAM emulation at the wire)", () => {
  it('passes the lean transport its grant, and refuses the rest as DynamoDB does', async () => {
    const { region, dynamoEndpoint, localCredentials } = config()
    const gate = await startAuthorizerGate(dynamoEndpoint ?? '')
    try {
      const db = Lean.DynamoDBDocumentClient.from(
        new Lean.DynamoDBClient({
          region,
          endpoint: gate.url,
          credentials: localCredentials,
        }),
      )
      const key = keys.accessToken('acme', 'admin', 1)
      const { Item } = await db.send(new Lean.GetCommand({ TableName: app.tableName, Key: key }))
      expect(Item).toMatchObject({ ...key, id: 1, team: 'acme' })
      const refused = await db
        .send(
          new Lean.QueryCommand({
            TableName: app.tableName,
            KeyConditionExpression: 'PK = :pk',
            ExpressionAttributeValues: { ':pk': key.PK },
          }),
        )
        .catch((error: unknown) => error)
      expect(refused).toMatchObject({ name: 'AccessDeniedException', $fault: 'client' })
      expect(String((refused as Error).message)).toContain('dynamodb:Query')
    } finally {
      await gate.close()
    }
  })
})

describe('the revocation bound, with a controllable clock', () => {
  const route = 'GET /orders'
  const event = (token: string) => ({
    routeKey: route,
    headers: { authorization: `Bearer ${token}` },
    queryStringParameters: undefined,
  })

  async function authorizerAt(ttl: number) {
    const { createAuthorizer } = await import('../../shared/authorizer/authorizer.js')
    let now = Date.now()
    const decide = createAuthorizer(
      { team: 'acme', routeScopes: { [route]: ['orders:read'] }, cacheTtlSeconds: ttl },
      () => new Date(now),
    )
    return { decide, advance: (seconds: number) => (now += seconds * 1000) }
  }

  it('refuses a deleted token after at most the TTL (60 s), serving hits with no call', async () => {
    const made = await make({ name: 'bound 60', scopes: ['orders:read'] })
    const { decide, advance } = await authorizerAt(60)
    expect((await decide(event(made.accessKey))).status).toBe(200)
    await app.api('DELETE', `/api/tokens/${made.token.id}`, { token: app.admin.token })
    const before = calls
    const started = performance.now()
    for (let i = 0; i < 1000; i++) await decide(event(made.accessKey))
    const perHit = (performance.now() - started) / 1000
    expect(calls).toBe(before) // cache hits: no DynamoDB call
    expect(perHit).toBeLessThan(0.1) // ms
    advance(59.999)
    expect((await decide(event(made.accessKey))).status).toBe(200) // still within the bound
    advance(0.001)
    expect((await decide(event(made.accessKey))).status).toBe(401) // the bound reached
    expect(calls).toBeGreaterThan(before) // and that answer was looked up afresh
  })

  it('refuses a deleted token at once with TTL 0', async () => {
    const made = await make({ name: 'bound 0', scopes: ['orders:read'] })
    const { decide } = await authorizerAt(0)
    expect((await decide(event(made.accessKey))).status).toBe(200)
    await app.api('DELETE', `/api/tokens/${made.token.id}`, { token: app.admin.token })
    expect((await decide(event(made.accessKey))).status).toBe(401)
  })
})
