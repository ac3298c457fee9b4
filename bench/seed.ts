import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import { keys } from '../shared/data/keys.js'

/** A member with no password (the bench's users sign in by token only). */
export async function seedMember(owner: { team: string; username: string }): Promise<void> {
  // Imported when called: the data layer reads the table's context the harness sets up.
  const { putUser } = await import('../shared/data/users.js')
  await putUser({
    ...owner,
    role: 'member',
    passwordHash: null,
    mfaEnabled: false,
    createdAt: new Date().toISOString(),
  })
}

/**
 * Writes `count` tokens (with their name guards) for one user straight into the
 * table: creating thousands through the API would measure the API, not the case.
 * The user's id counter is moved past them, as creating them would have (else the
 * next token made would take an id a delete-all has already revoked).
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
  await putAll(db, tableName, items)
  await db
    .send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.user(team, username),
        UpdateExpression: 'SET tokenSeq = :last',
        ConditionExpression: 'attribute_exists(PK) AND tokenSeq < :last',
        ExpressionAttributeValues: { ':last': firstId + count - 1 },
      }),
    )
    .catch((error: Error) => {
      if (error.name !== 'ConditionalCheckFailedException') throw error
    })
}

/**
 * Writes `count` servers into a project straight into the table (each with a token
 * hash no secret matches), for the project-delete cases: enrolling thousands through
 * the API would measure enrollment. Answers their ids.
 */
export async function seedServers(
  db: DynamoDBDocumentClient,
  tableName: string,
  where: { team: string; project: string },
  count: number,
): Promise<string[]> {
  const { team, project } = where
  const stamp = Date.now().toString(16).padStart(12, '0')
  const ids: string[] = []
  const items: Record<string, unknown>[] = []
  for (let n = 0; n < count; n++) {
    // UUID v7-shaped, ordered by n, unique per run.
    const tail = n.toString(16).padStart(12, '0')
    const id = `${stamp.slice(0, 8)}-${stamp.slice(8, 12)}-7000-8000-${tail}`
    ids.push(id)
    items.push({
      ...keys.server(team, project, id),
      kind: 'Server',
      team,
      project,
      id,
      hostname: `seeded-${n}`,
      registeredAt: new Date().toISOString(),
      secretHash: 'seeded-no-secret',
    })
  }
  await putAll(db, tableName, items)
  return ids
}

/**
 * Closes a project as a DELETE from before deletes had an author did: `deleting` alone,
 * no `deletingBy` and no `deleteStep`, so no cascade runs for it (the create over it
 * must ask for one).
 */
export async function markDeletingWithoutAuthor(
  db: DynamoDBDocumentClient,
  tableName: string,
  where: { team: string; project: string },
): Promise<void> {
  await db.send(
    new UpdateCommand({
      TableName: tableName,
      Key: keys.project(where.team, where.project),
      UpdateExpression: 'SET deleting = :at',
      ExpressionAttributeValues: { ':at': new Date().toISOString() },
    }),
  )
}

/** Batch-puts any number of items, 8 batches of 25 in flight, retrying unprocessed ones. */
async function putAll(
  db: DynamoDBDocumentClient,
  tableName: string,
  items: Record<string, unknown>[],
) {
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
