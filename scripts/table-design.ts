/**
 * The README's table design, from the entity declarations: each kind's key pattern
 * (its key function applied to placeholders), what it stores and whether TTL removes
 * it, so the table the code writes and the table the README shows are one.
 */
import { ENTITIES, type EntityKind } from '../shared/data/entities.js'
import type { Attribute } from '../shared/data/entity.js'

/** A record whose every field reads `<field>` (or, for a key, that key's placeholders). */
function placeholders(attributes: Record<string, Attribute<unknown>>) {
  const record: Record<string, unknown> = {}
  for (const [name, attribute] of Object.entries(attributes)) {
    record[name] = attribute.example ?? `<${name}>`
  }
  return record
}

// Padded numbers pad the placeholder too: `PAT#000000000000<id>` reads `PAT#<id, 16 digits>`.
const tidy = (part: string) =>
  part.replace(
    /(0+)<(\w+)>/g,
    (_, zeros: string, name: string) => `<${name}, ${zeros.length + name.length + 2} digits>`,
  )

/** Attributes stored in the item (not those read back from its key). */
const stored = (attributes: Record<string, Attribute<unknown>>) =>
  Object.entries(attributes)
    .filter(([, attribute]) => !attribute.fromKey)
    .map(([name]) => name)

/** What each kind holds, in words (here rather than in the declarations: no bundle needs it). */
const ABOUT: Record<EntityKind, string> = {
  Team: 'a team; users, projects and the service-token exchange live under it',
  User: 'a user, its role and password hash, the counter of its token ids, its count of tokens and their bytes listed, and a mirror of its delete-all mark',
  TokenPolicy: "the team's token policy: lifetime, quota, allowed scopes, inactivity",
  Project: 'a project and its ASA settings (one attribute each)',
  SignInAttempts: 'password attempts for a username, known or not, in the current window',
  AccessToken: "a personal access token (its secret's hash, never the secret)",
  AccessTokenName: "a guard making a token's name unique per user, gone with its token",
  TokenRevocation:
    "a user's delete-all mark: every token with an id up to revokedThrough is revoked, the stream deletes them after",
  RateWindow: "one fixed window's request count of a rate-limited token",
  EnrollmentToken: 'a server enrollment token (its hash, and the whole token sealed)',
  Server: "an enrolled server (its token's hash)",
  CloudAccount: 'a cloud account whose machines may enroll by proving their identity',
  UsedAwsSignature: 'a signed sts:GetCallerIdentity request already used, until it expires',
  ServiceKeys: 'the public keys that verify service tokens, as the signer published them',
  Tombstone: 'who deleted an item, and for servers that their token is revoked',
  AuditRecord: "one published event in its team's audit trail, until the retention ends",
  AuditGuard: 'one per kept event id, so a redelivered event is kept once',
  SweeperCursor: "the team the sweeper's next run starts with, after a run that ran out of budget",
  SweepState: "where the sweeper's inactivity pass over a team stands",
  IndexMigration:
    'where the sweeper stands in giving index keys to items written before the index, and when it finished',
}

export function tableDesign(): string {
  const rows = Object.values(ENTITIES).map((entity) => {
    const record = placeholders(entity.attributes)
    const key = (entity.key as (record: unknown) => { PK: string; SK: string })(record)
    const ttl = entity.ttl ? 'yes' : '-'
    const fields = stored(entity.attributes).join(', ')
    return `| \`${entity.kind}\` | \`${tidy(key.PK)}\` | \`${tidy(key.SK)}\` | ${ABOUT[entity.kind]} (${fields}) | ${ttl} |`
  })
  return [
    '| kind | PK | SK | what it holds (attributes) | TTL |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n')
}
