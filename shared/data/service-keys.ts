import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb'
import type { JWK } from 'jose'
import { db, tableName } from './client.js'
import { keys } from './keys.js'

/** Only a public key's members: a private `d` (or anything else) never reaches the table. */
const publicOnly = ({ kty, crv, x, y, kid, alg, use }: JWK): JWK => ({
  kty,
  crv,
  x,
  y,
  kid,
  alg,
  use,
})

/** The published verification keys, newest first; none before the first is published. */
export async function getServiceKeys(): Promise<JWK[]> {
  const { Item } = await db.send(
    new GetCommand({ TableName: tableName, Key: keys.serviceKeys(), ConsistentRead: true }),
  )
  const published: unknown = Item?.keys
  return Array.isArray(published) ? published.map((key: JWK) => publicOnly(key)) : []
}

/** Replaces the published set: keys no longer listed stop verifying anything. */
export async function putServiceKeys(published: JWK[], now = new Date()): Promise<void> {
  await db.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        ...keys.serviceKeys(),
        kind: 'ServiceKeys',
        keys: published.map(publicOnly),
        publishedAt: now.toISOString(),
      },
    }),
  )
}
