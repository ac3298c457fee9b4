import type { TestProject } from 'vitest/node'
import { launchDynamoDbLocal } from '../../local/dynamodb.js'

/** One in-memory DynamoDB Local for the browser tests; each file uses its own table. */
export default async function setup(project: TestProject) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
  const dynamodb = await launchDynamoDbLocal()
  project.provide('dynamoEndpoint', dynamodb.endpoint)
  return () => dynamodb.stop()
}
