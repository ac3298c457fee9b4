import { tableName } from './client.js'
import { type Key, keys } from './keys.js'
import type { TransactItem } from './transact.js'

export type DeletedEntity = 'Project' | 'EnrollmentToken' | 'Server' | 'CloudAccount'

export interface Deletion {
  entity: DeletedEntity
  team: string
  project?: string
  id?: string
  deletedBy: string
  deletedAt: string
  /** For servers: the token's hash, so a revoked token is told apart from a forged one. */
  secretHash?: string
}

const DAY_SECONDS = 86_400
/** Long enough for a stopped agent to come back and be told it was revoked. */
const KEEP_DAYS: Record<DeletedEntity, number> = {
  Project: 7,
  EnrollmentToken: 7,
  Server: 90,
  CloudAccount: 7,
}

export function tombstoneItem(of: Key, deletion: Deletion) {
  const ttl =
    Math.ceil(Date.parse(deletion.deletedAt) / 1000) + KEEP_DAYS[deletion.entity] * DAY_SECONDS
  return { ...keys.tombstone(of), kind: 'Tombstone', ...deletion, ttl }
}

/** The transaction item that records a deletion beside the delete itself. */
export const putTombstone = (of: Key, deletion: Deletion): TransactItem => ({
  Put: { TableName: tableName, Item: tombstoneItem(of, deletion) },
})
