import { RemovalPolicy } from 'aws-cdk-lib'
import {
  AttributeType,
  Billing,
  ProjectionType,
  StreamViewType,
  TableEncryptionV2,
  TableV2,
} from 'aws-cdk-lib/aws-dynamodb'
import { Construct } from 'constructs'
import { tableSchema } from '../../shared/data/table.js'

/**
 * The single table, from the same schema the local launcher uses: on-demand, point-in-
 * time recovery, deletion protection, retained on stack deletion, TTL, and a stream
 * with old and new images for events. One sparse index (tableSchema.index): a team's
 * tokens by when they are next due, and the teams (the sweeper and the admin view).
 */
export class LatchkeyTable extends Construct {
  readonly table: TableV2

  constructor(scope: Construct, id: string) {
    super(scope, id)
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: tableSchema.partitionKey, type: AttributeType.STRING },
      sortKey: { name: tableSchema.sortKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      timeToLiveAttribute: tableSchema.timeToLiveAttribute,
      dynamoStream: StreamViewType.NEW_AND_OLD_IMAGES,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      encryption: TableEncryptionV2.awsManagedKey(),
      globalSecondaryIndexes: [
        {
          indexName: tableSchema.index.name,
          partitionKey: { name: tableSchema.index.partitionKey, type: AttributeType.STRING },
          sortKey: { name: tableSchema.index.sortKey, type: AttributeType.STRING },
          projectionType: ProjectionType.INCLUDE,
          nonKeyAttributes: [...tableSchema.index.projected],
        },
      ],
    })
  }
}
