import { table } from './client.js'
import { type DeletedEntity, Tombstone } from './entities.js'
import type { RecordOf } from './entity.js'
import type { Key } from './keys.js'
import type { TransactItem } from './transact.js'

export type { DeletedEntity }

/** Who deleted what, and when (the deleted item's key is given beside it). */
export type Deletion = Omit<
  RecordOf<typeof Tombstone.attributes>,
  'of' | 'project' | 'id' | 'secretHash'
> & {
  project?: string
  id?: string
  /** For servers: the token's hash, so a revoked token is told apart from a forged one. */
  secretHash?: string
}

export const tombstoneItem = (of: Key, deletion: Deletion) =>
  Tombstone.item({
    of,
    ...deletion,
    project: deletion.project ?? null,
    id: deletion.id ?? null,
    secretHash: deletion.secretHash ?? null,
  })

/** The transaction item that records a deletion beside the delete itself. */
export const putTombstone = (of: Key, deletion: Deletion): TransactItem => ({
  Put: { TableName: table(), Item: tombstoneItem(of, deletion) },
})
