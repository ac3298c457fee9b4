import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb'
import type { JWK } from 'jose'
import { db, table } from './client.js'
import { ServiceKeys } from './entities.js'
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
  const { Item } = await db().send(
    new GetCommand({ TableName: table(), Key: keys.serviceKeys(), ConsistentRead: true }),
  )
  return Item ? ServiceKeys.decode(Item).keys.map((key) => publicOnly(key as JWK)) : []
}

/** Replaces the published set: keys no longer listed stop verifying anything. */
export async function putServiceKeys(published: JWK[], now = new Date()): Promise<void> {
  await db().send(
    new PutCommand({
      TableName: table(),
      Item: ServiceKeys.item({
        keys: published.map(publicOnly) as Record<string, unknown>[],
        publishedAt: now.toISOString(),
      }),
    }),
  )
}
