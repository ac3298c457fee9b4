import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

/**
 * local/lean-alias.ts, as `npm start` loads it: the service's modules get the lean
 * transport's commands (as a bundle's alias gives them), the SDK store keeps the SDK's.
 * In a child process: vitest's own module runner never passes through Node's hooks.
 */
const probe = `
const lean = await import('./shared/aws/lean-dynamodb.ts')
const { getUser } = await import('./shared/data/users.ts')
const { readConfig } = await import('./shared/config.ts')
const { createContext, installContext } = await import('./shared/context.ts')
const { createStore } = await import('./shared/data/client.ts')
const env = { TABLE_NAME: 'probe-table', AWS_REGION: 'eu-west-1', DYNAMODB_ENDPOINT: 'http://127.0.0.1:9', JWT_KEY_FILE: 'x', SEAL_KEY_FILE: 'x' }
const { store } = installContext(createContext(readConfig(env), 'lean'))
let sent
store.db.send = async (command) => { sent = command; return {} }
await getUser('acme', 'admin')
const sdk = createStore(readConfig(env)).db
console.log(JSON.stringify({
  data: sent instanceof lean.GetCommand ? 'lean' : sent?.constructor.name,
  input: sent?.input.Key,
  store: sdk instanceof lean.DynamoDBDocumentClient ? 'lean' : sdk.constructor.name,
}))
`
const run = async (imports: string[]) => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--import',
      'tsx',
      ...imports.flatMap((module) => ['--import', module]),
      '--input-type=module',
      '-e',
      probe,
    ],
    { env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } },
  )
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}')
}

describe('the local alias of the lean commands', () => {
  it("gives the data layer the lean transport's commands and leaves the SDK store the SDK's", async () => {
    expect(await run(['./local/lean-alias.ts'])).toEqual({
      data: 'lean',
      input: { PK: 'TEAM#acme', SK: 'USER#admin' },
      store: 'DynamoDBDocumentClient',
    })
  }, 60_000)

  it("without it, the data layer builds the SDK's commands (what the unit tests mock)", async () => {
    expect(await run([])).toMatchObject({ data: 'GetCommand', store: 'DynamoDBDocumentClient' })
  }, 60_000)
})
