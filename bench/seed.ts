import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { keys } from '../shared/data/keys.js'

/**
 * Writes `count` tokens (with their name guards) for one user straight into the
 * table: creating thousands through the API would measure the API, not the case.
 */
export async function seedAccessTokens(
  db: DynamoDBDocumentClient,
  tableName: string,
  owner: { team: string; username: string },
  count: number,
  firstId = 1000,
): Promise<void> {
  const { team, username } = owner
  const items: Record<string, unknown>[] = []
  for (let id = firstId; id < firstId + count; id++) {
    const name = `seeded ${id}`
    items.push({
      ...keys.accessToken(team, username, id),
      kind: 'AccessToken',
      team,
      username,
      id,
      name,
      secretHash: 'seeded-no-secret',
      dateCreated: new Date().toISOString(),
    })
    items.push({
      ...keys.accessTokenName(team, username, name),
      kind: 'AccessTokenName',
      tokenId: id,
    })
  }
  const batches: (typeof items)[] = []
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25))
  let next = 0
  const worker = async () => {
    while (next < batches.length) {
      let requests = (batches[next++] ?? []).map((Item) => ({ PutRequest: { Item } }))
      while (requests.length > 0) {
        const { UnprocessedItems } = await db.send(
          new BatchWriteCommand({ RequestItems: { [tableName]: requests } }),
        )
        requests = (UnprocessedItems?.[tableName] ?? []) as typeof requests
      }
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker))
}
