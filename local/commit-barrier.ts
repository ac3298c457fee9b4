import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb'
import { tableSchema } from '../shared/data/table.js'

/**
 * DynamoDB Local answers a TransactWriteItems before the transaction is on disk: its
 * SQLite layer queues the COMMIT on its single database thread and returns without
 * waiting for it (`SQLiteDBAccess.commitTransaction`, unlike every single-item write,
 * which waits). A kill -9 in that window loses an acknowledged transaction.
 *
 * The barrier: after each transaction, one GetItem on a key that never exists. A read
 * waits for its own job on the same first-in-first-out queue, so when it answers, the
 * COMMIT queued before it has run. It goes through a client of its own, so the
 * route's IAM emulation and the DynamoDB call counts never see it. Locally only: on
 * AWS, an acknowledged transaction is durable.
 */
export function awaitTransactionCommits(
  client: DynamoDBClient,
  endpoint: string,
  tableName: string,
): { close(): void } {
  const probe = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  })
  const barrier = new GetItemCommand({
    TableName: tableName,
    Key: {
      [tableSchema.partitionKey]: { S: 'LOCAL#COMMIT-BARRIER' },
      [tableSchema.sortKey]: { S: 'LOCAL#COMMIT-BARRIER' },
    },
  })
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args)
      if (context.commandName === 'TransactWriteItemsCommand') await probe.send(barrier)
      return result
    },
    { step: 'initialize', name: 'localCommitBarrier' },
  )
  return { close: () => probe.destroy() }
}
