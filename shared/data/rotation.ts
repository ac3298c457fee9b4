/** Rotation with a grace period, the same for personal, enrollment and server tokens. */

/**
 * The condition a secret's hash passes: the current one, or the one a rotation
 * replaced while its grace period lasts (`:hash` and `:now` are the caller's values).
 */
export const CURRENT_OR_IN_GRACE =
  '(secretHash = :hash OR (previousHash = :hash AND previousValidUntil > :now))'

/** A rotation's new secret: its hash, and (enrollment tokens) the new sealed value. */
export interface NewSecret {
  secretHash: string
  now: string
  graceUntil: string | null
  sealed?: string
  /** Who rotated it, when the record can't say (an admin rotating an enrollment token). */
  by?: string
}

/**
 * The UpdateItem parts of a rotation: the new hash (and sealed value), the current
 * one kept as the previous until `graceUntil`, or dropped without a grace; either way
 * an earlier grace ends. `rotatedAt` changing is what the change stream publishes.
 */
export function rotation(secret: NewSecret) {
  const sets = [
    ...(secret.graceUntil ? ['previousHash = secretHash', 'previousValidUntil = :until'] : []),
    'secretHash = :newHash',
    'rotatedAt = :rotatedAt',
    ...(secret.sealed ? ['sealed = :sealed'] : []),
    ...(secret.by ? ['rotatedBy = :by'] : []),
  ]
  return {
    UpdateExpression: `SET ${sets.join(', ')}${secret.graceUntil ? '' : ' REMOVE previousHash, previousValidUntil'}`,
    ExpressionAttributeValues: {
      ':newHash': secret.secretHash,
      ':rotatedAt': secret.now,
      ...(secret.graceUntil && { ':until': secret.graceUntil }),
      ...(secret.sealed && { ':sealed': secret.sealed }),
      ...(secret.by && { ':by': secret.by }),
    },
  }
}
