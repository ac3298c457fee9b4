import { expect, it } from 'vitest'
import { readConfig } from '../../shared/config.js'
import { createStore } from '../../shared/data/client.js'

it("builds the store's client without the SDK's logger middleware, and with the rest of its stack", () => {
  const { dynamo } = createStore(readConfig({ TABLE_NAME: 'latchkey', AWS_REGION: 'eu-west-1' }))
  const stack = dynamo.middlewareStack.identify().join('\n')
  expect(stack).not.toContain('loggerMiddleware')
  // Removing by name took that one: signing and retries are still there.
  expect(stack).toContain('retryMiddleware')
  expect(stack).toMatch(/httpSigningMiddleware/)
})
