import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import * as Lean from '../aws/lean-dynamodb.js'
import type { Config } from '../config.js'
import { context } from '../context.js'

/** The table and the clients that reach it: one per process, reused while warm. */
export interface Store {
  dynamo: DynamoDBClient
  db: DynamoDBDocumentClient
  tableName: string
}

/**
 * Which clients a store is built on. On Lambda both are the lean transport: every
 * bundle has it in place of the SDK's DynamoDB packages (infra/constructs/bundling.ts).
 * Outside a bundle, `sdk` is the AWS SDK itself (the unit tests mock it with
 * aws-sdk-client-mock; the admin CLI needs its credential chain) and `lean` is the
 * deployed transport, which the local server runs so that what it serves is what deploys.
 */
export type Transport = 'sdk' | 'lean'

/**
 * Against DynamoDB Local, an attempt may wait this long before it is retried: on a
 * loaded 2-core machine a 100-item transaction can take seconds there, and a retry of a
 * conditional write whose first attempt did land answers differently. On AWS, the lean
 * transport's 1 s (REQUEST_TIMEOUT_MS): DynamoDB answers in milliseconds.
 */
const LOCAL_REQUEST_TIMEOUT_MS = 30_000

/**
 * Whether a lean client has what the store's users reach for on an SDK client, so it
 * may be typed as one (`Sdk`): `send`, and the middleware stack's `add` and `remove`
 * (the data layer sends; local tooling adds initialize middleware: IAM emulation, call
 * counters). The one place the lean transport stands in for the SDK's types; that its
 * answers are the SDK's, test/unit/lean-dynamodb.test.ts holds and the whole
 * integration suite runs on. The rest of the SDK's surface (its config, other steps)
 * it lacks, and nothing given a lean store reaches for it.
 */
export function standsInForSdk<Sdk extends object>(client: object): client is Sdk {
  const stack: unknown = Reflect.get(client, 'middlewareStack')
  return (
    typeof Reflect.get(client, 'send') === 'function' &&
    typeof stack === 'object' &&
    stack !== null &&
    typeof Reflect.get(stack, 'add') === 'function' &&
    typeof Reflect.get(stack, 'remove') === 'function'
  )
}

/** Against a local endpoint (DynamoDB Local) any static credentials do, so none are required. */
export function createStore(config: Config, transport: Transport = 'sdk'): Store {
  const { region, dynamoEndpoint, tableName } = config
  const local = dynamoEndpoint && { endpoint: dynamoEndpoint, credentials: config.localCredentials }
  if (transport === 'lean') {
    const dynamo = new Lean.DynamoDBClient({
      region,
      ...(local && { ...local, requestTimeoutMs: LOCAL_REQUEST_TIMEOUT_MS }),
    })
    const db = Lean.DynamoDBDocumentClient.from(dynamo)
    if (!standsInForSdk<DynamoDBClient>(dynamo) || !standsInForSdk<DynamoDBDocumentClient>(db))
      throw new Error('the lean DynamoDB transport lacks send or its middleware stack')
    return { dynamo, db, tableName }
  }
  const dynamo = new DynamoDBClient({ region, ...local })
  // The SDK's logger middleware filters and copies every call's input and output for a
  // logger that is a no-op unless one is configured, and none is: ~1% of a request's CPU.
  dynamo.middlewareStack.remove('loggerMiddleware')
  const db = DynamoDBDocumentClient.from(dynamo, {
    marshallOptions: { removeUndefinedValues: true },
  })
  return { dynamo, db, tableName }
}

/** The document client of the process's store. */
export const db = () => context().store.db
/** The process's table name. */
export const table = () => context().store.tableName
