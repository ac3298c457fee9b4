/**
 * The cold-start floor of any function that talks to DynamoDB with the AWS SDK v3:
 * nothing but the DocumentClient, created as every function creates it. Bundled and
 * timed like the functions, so their init can be read against it as well.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'

export const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }))
