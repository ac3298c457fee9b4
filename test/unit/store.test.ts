import { expect, it } from 'vitest'
import * as Lean from '../../shared/aws/lean-dynamodb.js'
import { readConfig } from '../../shared/config.js'
import { createStore, standsInForSdk } from '../../shared/data/client.js'

const config = readConfig({ TABLE_NAME: 'latchkey', AWS_REGION: 'eu-west-1' })

it("builds the store's client without the SDK's logger middleware, and with the rest of its stack", () => {
  const { dynamo } = createStore(config)
  const stack = dynamo.middlewareStack.identify().join('\n')
  expect(stack).not.toContain('loggerMiddleware')
  // Removing by name took that one: signing and retries are still there.
  expect(stack).toContain('retryMiddleware')
  expect(stack).toMatch(/httpSigningMiddleware/)
})

it('builds a lean store on the lean clients, the document client sending through the client', () => {
  const { dynamo, db, tableName } = createStore(config, 'lean')
  expect(dynamo).toBeInstanceOf(Lean.DynamoDBClient)
  expect(db).toBeInstanceOf(Lean.DynamoDBDocumentClient)
  expect(tableName).toBe('latchkey')
  // Middleware added on either is the one stack (the IAM emulation and call counters rely on it).
  db.middlewareStack.add((next) => next, { step: 'initialize', name: 'probe' })
  expect(dynamo.middlewareStack.remove('probe')).toBe(true)
})

it('lets a lean client stand in for an SDK one only with send and a middleware stack to add to and remove from', () => {
  const fn = () => undefined
  const stack = { add: fn, remove: fn }
  expect(standsInForSdk({ send: fn, middlewareStack: stack })).toBe(true)
  expect(standsInForSdk({ middlewareStack: stack })).toBe(false)
  expect(standsInForSdk({ send: 'send', middlewareStack: stack })).toBe(false)
  expect(standsInForSdk({ send: fn })).toBe(false)
  expect(standsInForSdk({ send: fn, middlewareStack: null })).toBe(false)
  expect(standsInForSdk({ send: fn, middlewareStack: fn })).toBe(false)
  expect(standsInForSdk({ send: fn, middlewareStack: { add: fn } })).toBe(false)
  expect(standsInForSdk({ send: fn, middlewareStack: { remove: fn } })).toBe(false)
})
