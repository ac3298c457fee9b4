import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb'

/**
 * The table's shape, shared by the local launcher and the CDK stack so the two
 * cannot drift. No secondary index: every access pattern is a key lookup or a
 * Query on a partition.
 */
export const tableSchema = {
  partitionKey: 'PK',
  sortKey: 'SK',
  /** Epoch seconds; DynamoDB deletes lazily, so code checks expiry itself too. */
  timeToLiveAttribute: 'ttl',
} as const

/**
 * `stream: false` is for benchmarks only: DynamoDB Local keeps every stream record for
 * 24 h and slows down as they pile up, which AWS does not.
 */
export function createTableInput(
  tableName: string,
  { stream = true } = {},
): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: tableSchema.partitionKey, AttributeType: 'S' },
      { AttributeName: tableSchema.sortKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: tableSchema.partitionKey, KeyType: 'HASH' },
      { AttributeName: tableSchema.sortKey, KeyType: 'RANGE' },
    ],
    // Events come from the change stream (see API.md, Events).
    StreamSpecification: stream
      ? { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' }
      : { StreamEnabled: false },
  }
}
