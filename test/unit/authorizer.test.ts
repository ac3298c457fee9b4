import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { storedToken, tokenLookup } from '../support/tokens.js'

const ddb = mockClient(DynamoDBDocumentClient)
const NOW = new Date('2026-11-22T10:00:00.000Z')
let handler: typeof import('../../authorizer/handler.js').handler

beforeAll(async () => {
  // The authorizer reads its settings at cold start, as Lambda would load it.
  process.env.LATCHKEY_TEAM = 'acme'
  process.env.LATCHKEY_ROUTE_SCOPES = JSON.stringify({ 'GET /orders': ['orders:read'] })
  process.env.LATCHKEY_CACHE_TTL_SECONDS = '60'
  ;({ handler } = await import('../../authorizer/handler.js'))
})
beforeEach(() => {
  ddb.reset()
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(NOW)
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

const event = (token: string | undefined, routeKey = 'GET /orders') =>
  ({
    version: '2.0',
    type: 'REQUEST',
    routeArn: 'arn:aws:execute-api:eu-west-1:111122223333:api/$default/GET/orders',
    identitySource: token ? [`Bearer ${token}`, routeKey] : [],
    routeKey,
    rawPath: '/orders',
    rawQueryString: '',
    headers: token ? { authorization: `Bearer ${token}` } : {},
    requestContext: {},
  }) as unknown as APIGatewayRequestAuthorizerEventV2

describe('the authorizer Lambda (payload 2.0, simple responses)', () => {
  it('allows a token holding the route scope, with its identity as context, after one GetItem', async () => {
    const stored = storedToken({ lastUsed: NOW.toISOString(), scopes: ['orders:read'] })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(stored.item))
    expect(await handler(event(stored.token))).toEqual({
      isAuthorized: true,
      context: {
        team: 'acme',
        user: 'alice',
        tokenId: '7',
        kind: 'personal',
        scopes: 'orders:read',
      },
    })
    expect(ddb.calls()).toHaveLength(1)
    // The same token on the same route within the TTL: no call at all.
    await handler(event(stored.token))
    expect(ddb.calls()).toHaveLength(1)
  })

  it('throws Unauthorized (API Gateway answers 401) for garbage, with no call', async () => {
    await expect(handler(event('garbage'))).rejects.toThrow('Unauthorized')
    await expect(handler(event(undefined))).rejects.toThrow('Unauthorized')
    expect(ddb.calls()).toHaveLength(0)
  })

  it('denies (API Gateway answers 403) a token lacking the route scope', async () => {
    const stored = storedToken({ id: 8, lastUsed: NOW.toISOString(), scopes: ['orders:write'] })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(stored.item))
    expect(await handler(event(stored.token))).toEqual({ isAuthorized: false, context: {} })
  })

  it('needs no scope on a route it was not told about', async () => {
    const stored = storedToken({ id: 9, lastUsed: NOW.toISOString(), scopes: [] })
    ddb.on(BatchGetCommand).callsFake(tokenLookup(stored.item))
    expect((await handler(event(stored.token, 'GET /health'))).isAuthorized).toBe(true)
  })
})
