import { afterAll, beforeAll, expect, it } from 'vitest'
import { withGrants } from '../../local/iam.js'
import { startTestApp } from '../support/app.js'

/**
 * The local server checks each route's DynamoDB calls against its grant (the route
 * table, as the CDK stack grants it), so every integration test doubles as a check
 * that no route needs an action it won't have on AWS. This shows the check bites.
 */
let app: Awaited<ReturnType<typeof startTestApp>>

beforeAll(async () => {
  app = await startTestApp('acme')
})
afterAll(() => app?.close())

it('refuses a call outside the grant as AWS would, and allows it inside', async () => {
  const { getUser } = await import('../../shared/data/users.js')
  const { createAccessToken } = await import('../../shared/domain/access-tokens.js')
  await expect(withGrants(['Query'], () => getUser('acme', 'admin'))).rejects.toMatchObject({
    name: 'AccessDeniedException',
    message: expect.stringContaining('dynamodb:GetItem'),
  })
  await expect(withGrants(['GetItem'], () => getUser('acme', 'admin'))).resolves.toMatchObject({
    username: 'admin',
  })
  // A transaction needs the action of each of its items (the policy read and the id
  // counter granted, the transaction's puts not).
  await expect(
    withGrants(['GetItem', 'UpdateItem'], () =>
      createAccessToken({ team: 'acme', username: 'admin' }, { name: 'x' }),
    ),
  ).rejects.toMatchObject({ message: expect.stringContaining('dynamodb:PutItem') })
})

it('runs every request through it: routes still answer', async () => {
  const reply = await app.api('GET', '/api/tokens', { token: app.admin.token })
  expect(reply.status).toBe(200)
})
