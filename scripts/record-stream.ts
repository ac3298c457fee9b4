/**
 * Records real change-stream records for the stream handler's unit tests: runs one of
 * each change against DynamoDB Local, reads the table's stream back and writes the
 * records, in the shape Lambda delivers them, to test/fixtures/stream-records.json.
 * `npm run -s record-stream` after changing what the data layer writes.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

import { writeFile } from 'node:fs/promises'
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb'
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams'
import { launchDynamoDbLocal } from '../local/dynamodb.js'
import { startApp } from '../local/harness.js'
import { asLambdaRecord } from '../local/stream-poller.js'

const OUTPUT = new URL('../test/fixtures/stream-records.json', import.meta.url)

const dynamodb = await launchDynamoDbLocal()
const app = await startApp({ endpoint: dynamodb.endpoint, team: 'acme' })
const call = async (method: string, path: string, token: string, body?: unknown) => {
  const response = await fetch(new URL(path, app.url), {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`)
  return text ? JSON.parse(text) : undefined
}
try {
  const admin = app.admin.token
  const made = await call('POST', '/api/tokens', admin, { name: 'ci', expiresInDays: 30 })
  await call('DELETE', `/api/tokens/${made.token.id}`, admin)
  await call('POST', '/v1/teams/acme/projects', admin, { name: 'web' })
  const p = '/v1/teams/acme/projects/web'
  const token = await call('POST', `${p}/server_enrollment_tokens`, admin, {
    description: 'fleet',
    max_uses: 5,
  })
  const enrolled = await call('POST', `${p}/servers`, token.token, { hostname: 'web-01' })
  await call('POST', `${p}/servers/${enrolled.server.id}/heartbeat`, enrolled.server_token)
  await call('DELETE', `${p}/servers/${enrolled.server.id}`, admin)
  await call('DELETE', `${p}/server_enrollment_tokens/${token.id}`, admin)
  await call('DELETE', '/v1/teams/acme/projects/web', admin)

  const { Table } = await app.dynamo.send(new DescribeTableCommand({ TableName: app.tableName }))
  const streams = new DynamoDBStreamsClient({
    endpoint: dynamodb.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  })
  const StreamArn = Table?.LatestStreamArn ?? ''
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn }))
  const records = []
  for (const shard of StreamDescription?.Shards ?? []) {
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    )
    const { Records = [] } = await streams.send(
      new GetRecordsCommand({ ShardIterator, Limit: 1000 }),
    )
    records.push(...Records.map((record) => asLambdaRecord(record)))
  }
  await writeFile(OUTPUT, `${JSON.stringify(records, null, 2)}\n`)
  console.log(`wrote ${records.length} records to ${OUTPUT.pathname}`)
  streams.destroy()
} finally {
  await app.close()
  await dynamodb.stop()
}
