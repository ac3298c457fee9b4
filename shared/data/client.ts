import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { Config } from '../config.js'
import { context } from '../context.js'

/** The table and the clients that reach it: one per process, reused while warm. */
export interface Store {
  dynamo: DynamoDBClient
  db: DynamoDBDocumentClient
  tableName: string
}

/** Against a local endpoint (DynamoDB Local) any static credentials do, so none are required. */
export function createStore(config: Config): Store {
  const { region, dynamoEndpoint, tableName } = config
  const dynamo = new DynamoDBClient({
    region,
    ...(dynamoEndpoint && {
      endpoint: dynamoEndpoint,
      credentials: config.localCredentials,
    }),
  })
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
