import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { config } from '../config.js'

const { region, dynamoEndpoint } = config()

/**
 * One client per process, created at cold start and reused while warm. Against a
 * local endpoint (DynamoDB Local) any static credentials do, so none are required.
 */
export const dynamo = new DynamoDBClient({
  region,
  ...(dynamoEndpoint && {
    endpoint: dynamoEndpoint,
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID || 'local',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY || 'local',
    },
  }),
})

export const db = DynamoDBDocumentClient.from(dynamo, {
  marshallOptions: { removeUndefinedValues: true },
})

export const tableName = config().tableName
