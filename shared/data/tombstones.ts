import { table } from './client.js'
import { type DeletedEntity, Tombstone } from './entities.js'
import type { RecordOf } from './entity.js'
import type { Key } from './keys.js'
import { CURRENT_OR_IN_GRACE } from './rotation.js'
import { type TransactItem, transact } from './transact.js'

export type { DeletedEntity }

type Optional = 'project' | 'id' | 'secretHash' | 'reason' | 'leakUrl' | 'leakSource'

/** Who deleted what, and when (the deleted item's key is given beside it). */
export type Deletion = Omit<RecordOf<typeof Tombstone.attributes>, 'of' | Optional> & {
  project?: string
  id?: string
  /** For servers: the token's hash, so a revoked token is told apart from a forged one. */
  secretHash?: string
  /** A token revoked because it leaked: where GitHub's secret scanning found it. */
  reason?: 'leaked'
  leakUrl?: string
  leakSource?: string
}

/** Who revokes leaked tokens, in deletion records and events. */
export const SECRET_SCANNING_ACTOR = 'secret-scanning'

export const tombstoneItem = (of: Key, deletion: Deletion) =>
  Tombstone.item({
    of,
    ...deletion,
    project: deletion.project ?? null,
    id: deletion.id ?? null,
    secretHash: deletion.secretHash ?? null,
    reason: deletion.reason ?? null,
    leakUrl: deletion.leakUrl ?? null,
    leakSource: deletion.leakSource ?? null,
  })

/** The transaction item that records a deletion beside the delete itself. */
export const putTombstone = (of: Key, deletion: Deletion): TransactItem => ({
  Put: { TableName: table(), Item: tombstoneItem(of, deletion) },
})

/**
 * Deletes a leaked token (an enrollment token or a server's) with its deletion record
 * saying where it leaked, conditional on the leaked secret's hash still being
 * current or in its grace period. False when it was not (nothing is written).
 */
export async function deleteLeaked(
  key: Key,
  deletion: Omit<Deletion, 'deletedBy' | 'reason' | 'leakUrl' | 'leakSource'>,
  leak: { url: string; source: string; hash: string },
): Promise<boolean> {
  const refused = await transact([
    {
      Delete: {
        TableName: table(),
        Key: key,
        ConditionExpression: CURRENT_OR_IN_GRACE,
        ExpressionAttributeValues: { ':hash': leak.hash, ':now': deletion.deletedAt },
      },
    },
    putTombstone(key, {
      ...deletion,
      deletedBy: SECRET_SCANNING_ACTOR,
      reason: 'leaked',
      leakUrl: leak.url,
      leakSource: leak.source,
    }),
  ])
  return !refused
}
