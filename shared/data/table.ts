import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb'
import { INDEXED_TOKEN_FIELDS } from './entities.js'

/**
 * The table's shape, shared by the local launcher and the CDK stack so the two
 * cannot drift. One secondary index, `GSI1`, sparse: only personal tokens and teams
 * carry its keys (see keys.ts, `indexKeys`). It serves the admin's view of a team's
 * tokens and the sweeper (tokens by when they are next due), and the list of teams
 * the sweeper walks; every other access pattern is a key lookup or a Query on a
 * partition.
 */
export const tableSchema = {
  partitionKey: 'PK',
  sortKey: 'SK',
  /** Epoch seconds; DynamoDB deletes lazily, so code checks expiry itself too. */
  timeToLiveAttribute: 'ttl',
  index: {
    name: 'GSI1',
    partitionKey: 'GSI1PK',
    sortKey: 'GSI1SK',
    /**
     * Only what the admin view and the sweeper read: never the secret's hash, the meta
     * or the rate limit, so the index is small and cannot leak them.
     */
    projected: ['kind', ...INDEXED_TOKEN_FIELDS],
  },
} as const

/**
 * `stream: false` is for benchmarks only: DynamoDB Local keeps every stream record for
 * 24 h and slows down as they pile up, which AWS does not.
 */
export function createTableInput(
  tableName: string,
  { stream = true } = {},
): CreateTableCommandInput {
  const { index } = tableSchema
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: tableSchema.partitionKey, AttributeType: 'S' },
      { AttributeName: tableSchema.sortKey, AttributeType: 'S' },
      { AttributeName: index.partitionKey, AttributeType: 'S' },
      { AttributeName: index.sortKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: tableSchema.partitionKey, KeyType: 'HASH' },
      { AttributeName: tableSchema.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.projected] },
      },
    ],
    // Events come from the change stream (see API.md, Events).
    StreamSpecification: stream
      ? { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' }
      : { StreamEnabled: false },
  }
}
