/**
 * When the sweeper next has something to do with a personal token: warn that it
 * expires in 7 days, then in 1 day (once each), then expire it. The due time is kept
 * in the token's index key, so the sweeper reads only tokens that are due.
 */
import { DAY_MS } from '../time.js'

export const WARNING_DAYS = [7, 1] as const
export type WarningDays = (typeof WARNING_DAYS)[number]

/** The warnings not yet sent: those closer to the expiry than the last one sent. */
const pending = (warned: number | null) =>
  WARNING_DAYS.filter((days) => warned === null || days < warned)

/**
 * The next due time after `now`: the first pending warning still ahead, else the
 * expiry; undefined for a token that never expires. A warning whose time has passed
 * before the token was made (a 3-day token has no 7-day warning) is skipped.
 */
export function nextDue(
  expiresAt: string | null,
  warned: number | null,
  now: Date,
): string | undefined {
  if (expiresAt === null) return undefined
  const expiry = Date.parse(expiresAt)
  for (const days of pending(warned)) {
    const at = expiry - days * DAY_MS
    if (at > now.getTime()) return new Date(at).toISOString()
  }
  return expiresAt
}

/**
 * What is due for a token at `now`: expire it, send the warning closest to its
 * expiry whose time has come (skipping earlier ones that were missed), or nothing.
 */
export function dueAction(
  expiresAt: string | null,
  warned: number | null,
  now: Date,
): { kind: 'expire' } | { kind: 'warn'; days: WarningDays } | undefined {
  if (expiresAt === null) return undefined
  const expiry = Date.parse(expiresAt)
  if (expiry <= now.getTime()) return { kind: 'expire' }
  const due = pending(warned).filter((days) => expiry - days * DAY_MS <= now.getTime())
  const closest = due[due.length - 1]
  return closest === undefined ? undefined : { kind: 'warn', days: closest }
}
