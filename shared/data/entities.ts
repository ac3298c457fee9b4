import { DAY_SECONDS } from '../time.js'
import * as attr from './codecs.js'
import { type Attribute, entity, epochSeconds, type Item, type RecordOf } from './entity.js'
import { indexKeys, type Key, keys } from './keys.js'
import { PROJECT_SETTING_NAMES, SETTING_TYPES, type StoredSettings } from './project-settings.js'
import { nextDue } from './token-due.js'

/**
 * Every entity of the single table, declared once: its `kind`, key, attributes and
 * expiry. Data modules write `X.item(record)` and read `X.decode(item)`; the change
 * stream maps each kind to its events exhaustively (a new kind is a type error there
 * until it says what it publishes); the README's table design is generated from here.
 * No SDK imports, so the stream function and the docs script load it cheaply.
 */

/** A project's settings, each stored as its own attribute under its API name (ASA's). */
const projectSettings: Attribute<StoredSettings> = {
  encode: (settings) => ({ ...settings }),
  decode(item) {
    const settings: StoredSettings = {}
    for (const name of PROJECT_SETTING_NAMES) {
      const value = item[name]
      const isSetting =
        typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string'
      if (isSetting && typeof value === SETTING_TYPES[name]) settings[name] = value
    }
    return settings
  },
}

/** A deletion record's subject: the deleted item's key, read back from its own key. */
const TOMBSTONE_PREFIX = 'TOMBSTONE#'
const deletedKey: Attribute<Key> = {
  encode: () => ({}),
  decode: (item) => ({ PK: String(item.PK), SK: String(item.SK).slice(TOMBSTONE_PREFIX.length) }),
  example: { PK: "<the deleted item's PK>", SK: '<its SK>' },
  fromKey: true,
}

/** Public keys (JWKs) as published: plain objects, never anything else. */
const objectList: Attribute<Record<string, unknown>[]> = {
  encode: (value, name) => ({ [name]: value }),
  decode: (item, name) => {
    const stored = item[name]
    return Array.isArray(stored)
      ? stored.filter((value): value is Record<string, unknown> => typeof value === 'object')
      : []
  },
}

export const Team = /* @__PURE__ */ entity({
  kind: 'Team',
  key: (team) => keys.team(team.name),
  attributes: { name: attr.text, createdAt: attr.text },
  // The sweeper walks the teams through the index.
  index: (team) => indexKeys.team(team.name),
})

export const User = /* @__PURE__ */ entity({
  kind: 'User',
  key: (user) => keys.user(user.team, user.username),
  attributes: {
    team: attr.text,
    username: attr.text,
    // Anything unreadable is the lesser role: never more than was stored.
    role: /* @__PURE__ */ attr.oneOf('member', 'admin'),
    /** `scrypt$N$r$p$salt$hash`; null for users who only use tokens. */
    passwordHash: attr.optionalText,
    mfaEnabled: attr.boolean,
    createdAt: attr.text,
    /** The last personal token id given out (an atomic counter). */
    tokenSeq: attr.count,
    /**
     * The personal tokens the user holds, for the quota: 0 at creation, then raised and
     * lowered in place by the transactions that add or remove a token (access-tokens.ts).
     * Absent only on users made before the quota: their first create recounts.
     */
    tokenCount: attr.count,
    /**
     * A mirror of the delete-all mark's `revokedThrough` (TokenRevocation), written in
     * the same transaction, so a create's count condition refuses a revoked id without
     * a transaction item of its own. Absent until the user's first delete-all.
     */
    revokedThrough: attr.optionalNumber,
    /**
     * Their tokens' bytes as GET /api/tokens lists them (listedBytes), kept by the same
     * writes as tokenCount, for the list's bound. Absent on users made before it, then
     * UNMEASURED_BYTES and above until a create past the light count measures it.
     */
    tokenBytes: attr.count,
  },
})

/** A team's rules for personal tokens (API.md, Team token policy); absent: the defaults. */
export const TokenPolicy = /* @__PURE__ */ entity({
  kind: 'TokenPolicy',
  key: (policy) => keys.tokenPolicy(policy.team),
  attributes: {
    team: attr.text,
    maxLifetimeDays: attr.optionalNumber,
    maxTokensPerUser: attr.optionalNumber,
    allowedScopes: attr.optionalTextList,
    inactiveDays: attr.optionalNumber,
    /** Who set it and when, for the TokenPolicyChanged event. */
    updatedBy: attr.text,
    updatedAt: attr.text,
  },
})

export const Project = /* @__PURE__ */ entity({
  kind: 'Project',
  key: (project) => keys.project(project.team, project.name),
  attributes: {
    team: attr.text,
    name: attr.text,
    /** Null on projects created before projects had ids (the domain derives theirs). */
    id: attr.optionalText,
    createdAt: attr.text,
    /** Who created it, for the change stream's events. */
    createdBy: attr.text,
    settings: projectSettings,
    /** Counts updates, for optimistic concurrency; null until the first. */
    version: attr.optionalNumber,
    /**
     * Set when a delete has begun: from that write on the project and everything in it
     * are gone to every reader, and the change stream deletes its children (sweeps.ts).
     */
    deleting: attr.optionalText,
    /** Who deleted it, for the children's deletion records and events. */
    deletingBy: attr.optionalText,
    /** Raised to ask the change stream for the next step of the children's deletes. */
    deleteStep: attr.optionalNumber,
    /** The last settings change: who and when, for the ProjectUpdated event. */
    updatedAt: attr.optionalText,
    updatedBy: attr.optionalText,
  },
})

export const SignInAttempts = /* @__PURE__ */ entity({
  kind: 'SignInAttempts',
  key: (attempts) => keys.signInAttempts(attempts.team, attempts.username),
  attributes: {
    team: attr.text,
    username: attr.text,
    attempts: attr.count,
    /** Epoch milliseconds at which the window opened, and at which it closes. */
    windowStart: attr.number,
    windowEnd: attr.number,
  },
  ttl: (attempts) => Math.ceil(attempts.windowEnd / 1000),
})

export const AccessToken = /* @__PURE__ */ entity({
  kind: 'AccessToken',
  key: (token) => keys.accessToken(token.team, token.username, token.id),
  attributes: {
    team: attr.text,
    username: attr.text,
    id: attr.number,
    name: attr.text,
    /** SHA-256 of the token's secret; the secret itself is never stored. */
    secretHash: attr.text,
    /** After a rotation with a grace period: the old secret's hash, and until when it works. */
    previousHash: attr.optionalText,
    previousValidUntil: attr.optionalText,
    /** The last rotation (the change stream publishes AccessTokenRotated when it moves). */
    rotatedAt: attr.optionalText,
    /** Set when GitHub's secret scanning reported it: it authenticates no more. */
    leakedAt: attr.optionalText,
    leakUrl: attr.optionalText,
    leakSource: attr.optionalText,
    dateCreated: attr.text,
    // Absent, not null, until first use: the touch condition compares it as a string.
    lastUsed: attr.optionalText,
    expiresAt: attr.optionalText,
    /** Null: everything the user's role allows (a token made without scopes). */
    scopes: attr.optionalTextList,
    /** Free-form JSON the owner attached; kept as its text, so it comes back exactly. */
    meta: attr.jsonText,
    rateLimit: {
      encode: (value: RateLimit | null, name: string) => ({ [name]: value ?? undefined }),
      decode: (item: Item, name: string) => rateLimitOf(item[name]),
    },
    // Set in place by the sweeper and by admins (token-index.ts), never at creation:
    /** The expiry warning last sent (7 or 1 days before), and when. */
    expiryWarned: attr.optionalNumber,
    expiryWarnedAt: attr.optionalText,
    /** Who removes it for its owner, why and when: marked just before the delete, so
     * the REMOVE's old image can say it (a REMOVE itself can't say who). */
    removalBy: attr.optionalText,
    removalReason: /* @__PURE__ */ attr.optionalOneOf('admin', 'expired', 'inactive'),
    removalAt: attr.optionalText,
  },
  ttl: (token) => (token.expiresAt ? epochSeconds(token.expiresAt) : undefined),
  // In its team's index partition, by when the sweeper first has something to do with
  // it (its sweeper writes move it on: token-index.ts).
  index: (token) =>
    indexKeys.accessToken(
      token.team,
      token.username,
      token.id,
      nextDue(token.expiresAt, null, new Date(token.dateCreated)),
    ),
})

/**
 * What the index keeps of a personal token (its projection): what the admin view and
 * the sweeper read, never the secret's hash, the meta or the rate limit.
 */
export const INDEXED_TOKEN_FIELDS = [
  'team',
  'username',
  'id',
  'name',
  'scopes',
  'dateCreated',
  'lastUsed',
  'expiresAt',
  'expiryWarned',
] as const satisfies readonly (keyof typeof AccessToken.attributes)[]

/** At most `limit` requests per fixed window of `windowSeconds` (aligned to the epoch). */
export interface RateLimit {
  limit: number
  windowSeconds: number
}

function rateLimitOf(value: unknown): RateLimit | null {
  if (typeof value !== 'object' || value === null) return null
  const { limit, windowSeconds } = value as Record<string, unknown>
  return typeof limit === 'number' && typeof windowSeconds === 'number'
    ? { limit, windowSeconds }
    : null
}

export const AccessTokenName = /* @__PURE__ */ entity({
  kind: 'AccessTokenName',
  key: (guard) => keys.accessTokenName(guard.team, guard.username, guard.name),
  attributes: {
    team: attr.text,
    username: attr.text,
    name: attr.text,
    tokenId: attr.number,
    expiresAt: attr.optionalText,
  },
  ttl: (guard) => (guard.expiresAt ? epochSeconds(guard.expiresAt) : undefined),
})

/**
 * A user's delete-all: every token with an id up to `revokedThrough` is revoked at
 * once; the change stream deletes them afterwards, a step per touch of `sweepRound`
 * (shared/data/token-revocation.ts). Sorts first among the user's `PAT#` items.
 */
export const TokenRevocation = /* @__PURE__ */ entity({
  kind: 'TokenRevocation',
  key: (mark) => keys.tokenRevocation(mark.team, mark.username),
  attributes: {
    team: attr.text,
    username: attr.text,
    revokedThrough: attr.number,
    revokedAt: attr.text,
    sweepRound: attr.count,
  },
})

export const RateWindow = /* @__PURE__ */ entity({
  kind: 'RateWindow',
  key: (window) => keys.rateWindow(window.team, window.username, window.tokenId, window.window),
  attributes: {
    team: attr.text,
    username: attr.text,
    tokenId: attr.number,
    window: attr.number,
    windowSeconds: attr.number,
    used: attr.count,
    /**
     * The last `lastUsed` interval (epoch ms / interval) whose write to the token a
     * request of this window claimed: one claimant per interval, however many race.
     */
    lastUsedClaim: attr.optionalNumber,
  },
  ttl: (window) => rateWindowExpiry(window.window, window.windowSeconds),
})

/** A minute after its window ends, a window's count goes (TTL). */
export const rateWindowExpiry = (window: number, windowSeconds: number) =>
  (window + 1) * windowSeconds + 60

export const EnrollmentToken = /* @__PURE__ */ entity({
  kind: 'EnrollmentToken',
  key: (token) => keys.enrollmentToken(token.team, token.project, token.id),
  attributes: {
    team: attr.text,
    project: attr.text,
    id: attr.text,
    description: attr.text,
    createdBy: attr.text,
    issuedAt: attr.text,
    expiresAt: attr.optionalText,
    maxUses: attr.optionalNumber,
    uses: attr.count,
    lastUsedAt: attr.optionalText,
    /** SHA-256 of the secret `s`: what verification compares. */
    secretHash: attr.text,
    /** After a rotation with a grace period: the old secret's hash, and until when it works. */
    previousHash: attr.optionalText,
    previousValidUntil: attr.optionalText,
    /** The last rotation (the change stream publishes AccessTokenRotated when it moves). */
    rotatedAt: attr.optionalText,
    /** Who rotated it last (an admin). */
    rotatedBy: attr.optionalText,
    /** The whole token, sealed (AES-256-GCM), because fetch returns it again. */
    sealed: attr.text,
  },
  // A day past expiry, so an agent presenting it late is told it expired.
  ttl: (token) => (token.expiresAt ? epochSeconds(token.expiresAt) + DAY_SECONDS : undefined),
})

export const Server = /* @__PURE__ */ entity({
  kind: 'Server',
  key: (server) => keys.server(server.team, server.project, server.id),
  attributes: {
    team: attr.text,
    project: attr.text,
    id: attr.text,
    hostname: attr.text,
    os: attr.optionalText,
    canonicalName: attr.optionalText,
    instanceDetails: attr.optionalMap,
    /** The token it enrolled with; null when it proved a cloud identity instead. */
    enrollmentTokenId: attr.optionalText,
    /** Secretless enrollment: the provider, account and instance that proved who it is. */
    cloudProvider: /* @__PURE__ */ attr.optionalOneOf('aws'),
    cloudAccount: attr.optionalText,
    instanceId: attr.optionalText,
    /** The proven identity (an assumed-role ARN), for the enrollment event. */
    cloudArn: attr.optionalText,
    registeredAt: attr.text,
    lastSeen: attr.optionalText,
    /** SHA-256 of the server token's secret. */
    secretHash: attr.text,
    /** After a rotation with a grace period: the old secret's hash, and until when it works. */
    previousHash: attr.optionalText,
    previousValidUntil: attr.optionalText,
    /** The last rotation (the change stream publishes AccessTokenRotated when it moves). */
    rotatedAt: attr.optionalText,
  },
})

export const CloudAccount = /* @__PURE__ */ entity({
  kind: 'CloudAccount',
  key: (account) => keys.cloudAccount(account.team, account.project, account.id),
  attributes: {
    team: attr.text,
    project: attr.text,
    id: attr.text,
    provider: /* @__PURE__ */ attr.oneOf('aws'),
    accountId: attr.text,
    /** Role ARNs or name prefixes (`...:role/web-*`); empty: any principal of the account. */
    roleArns: attr.textList,
    description: attr.optionalText,
    createdAt: attr.text,
    createdBy: attr.text,
  },
})

export const UsedAwsSignature = /* @__PURE__ */ entity({
  kind: 'UsedAwsSignature',
  key: (used) => keys.usedAwsSignature(used.signatureHash),
  attributes: {
    signatureHash: {
      encode: () => ({}),
      decode: (item: Item) => String(item.PK).slice('AWSSIG#'.length),
      fromKey: true,
    },
    team: attr.text,
    project: attr.text,
    serverId: attr.text,
    usedAt: attr.text,
    /** When the signature itself expires: a replay after that fails anyway. */
    expiresAt: attr.text,
  },
  ttl: (used) => epochSeconds(used.expiresAt),
})

export const ServiceKeys = /* @__PURE__ */ entity({
  kind: 'ServiceKeys',
  key: () => keys.serviceKeys(),
  attributes: { keys: objectList, publishedAt: attr.text },
})

/**
 * The entities whose deletion leaves a record (who deleted it, for the event a REMOVE
 * can't carry), and for how long: long enough for a stopped agent to come back and be
 * told its server was revoked.
 */
export const TOMBSTONE_DAYS = {
  Project: 7,
  EnrollmentToken: 7,
  Server: 90,
  CloudAccount: 7,
} as const
export type DeletedEntity = keyof typeof TOMBSTONE_DAYS

/** What a project owns: deleted with it, each with its own deletion record. */
export const PROJECT_CHILDREN = [
  'EnrollmentToken',
  'Server',
  'CloudAccount',
] as const satisfies readonly DeletedEntity[]

export const Tombstone = /* @__PURE__ */ entity({
  kind: 'Tombstone',
  key: (deletion) => keys.tombstone(deletion.of),
  attributes: {
    of: deletedKey,
    // The kinds of TOMBSTONE_DAYS (its TTL below indexes it: a kind missing there fails tsc).
    // No safe default: a record of something else is refused (the stream logs and skips it).
    entity: /* @__PURE__ */ attr.exactlyOneOf(
      'Project',
      'EnrollmentToken',
      'Server',
      'CloudAccount',
    ),
    team: attr.text,
    project: attr.optionalText,
    id: attr.optionalText,
    deletedBy: attr.text,
    deletedAt: attr.text,
    /** For servers: the token's hash, so a revoked token is told apart from a forged one. */
    secretHash: attr.optionalText,
    /** `leaked`: revoked because GitHub's secret scanning found it, where it says. */
    reason: /* @__PURE__ */ attr.optionalOneOf('leaked'),
    leakUrl: attr.optionalText,
    leakSource: attr.optionalText,
  },
  ttl: (deletion) =>
    epochSeconds(deletion.deletedAt) + TOMBSTONE_DAYS[deletion.entity] * DAY_SECONDS,
})

/** One published event in its team's audit trail (shared/events/audit.ts). */
export const AuditRecord = /* @__PURE__ */ entity({
  kind: 'AuditRecord',
  key: (record) => keys.auditRecord(record.team, record.time, record.id),
  attributes: {
    /** The event's id (its stream record's): what the guard below keeps unique. */
    id: attr.text,
    team: attr.text,
    type: attr.text,
    actor: attr.text,
    time: attr.text,
    /** The event as published (EventBridge's envelope), as JSON text. */
    event: attr.text,
    /** The end of the team's retention (LATCHKEY_AUDIT_RETENTION_DAYS). */
    expiresAt: attr.text,
  },
  ttl: (record) => epochSeconds(record.expiresAt),
})

/** One per kept event id: makes keeping an event conditional on its id being new. */
export const AuditGuard = /* @__PURE__ */ entity({
  kind: 'AuditGuard',
  key: (guard) => keys.auditGuard(guard.team, guard.eventId),
  attributes: { team: attr.text, eventId: attr.text, expiresAt: attr.text },
  ttl: (guard) => epochSeconds(guard.expiresAt),
})

/** The team the sweeper's next run starts with, when the last one ran out of budget. */
export const SweeperCursor = /* @__PURE__ */ entity({
  kind: 'SweeperCursor',
  key: () => keys.sweeperState(),
  attributes: { resumeTeam: attr.text },
})

/** Where the sweeper's inactivity pass over a team stands. */
export const SweepState = /* @__PURE__ */ entity({
  kind: 'SweepState',
  key: (state) => keys.sweepState(state.team),
  attributes: {
    team: attr.text,
    /** The index sort key an unfinished pass continues after. */
    cursor: attr.optionalText,
    /** When the last pass over the team finished. */
    finishedAt: attr.optionalText,
  },
})

/**
 * The migration that gives index keys to items written before the index (teams and
 * personal tokens): where its Scan stands, and when a pass found nothing left to do.
 */
export const IndexMigration = /* @__PURE__ */ entity({
  kind: 'IndexMigration',
  key: () => keys.indexMigration(),
  attributes: {
    /** The Scan's LastEvaluatedKey as JSON, while a pass is under way. */
    cursor: attr.optionalText,
    /** The pass under way (1, then 2 if the first indexed anything), items indexed in it. */
    pass: attr.count,
    passIndexed: attr.count,
    /** Over every pass: items the Scan read, items given their keys. */
    scanned: attr.count,
    indexed: attr.count,
    /** Set when a whole pass found nothing to index: later runs stop at one GetItem. */
    finishedAt: attr.optionalText,
    updatedAt: attr.text,
  },
})

/** Every entity, by kind. */
export const ENTITIES = {
  Team,
  User,
  TokenPolicy,
  Project,
  SignInAttempts,
  AccessToken,
  AccessTokenName,
  TokenRevocation,
  RateWindow,
  EnrollmentToken,
  Server,
  CloudAccount,
  UsedAwsSignature,
  ServiceKeys,
  Tombstone,
  AuditRecord,
  AuditGuard,
  SweeperCursor,
  SweepState,
  IndexMigration,
} as const

export type EntityKind = keyof typeof ENTITIES
export type RecordOfKind<K extends EntityKind> = RecordOf<(typeof ENTITIES)[K]['attributes']>

/** The kind an item says it holds, if it is one this code knows. */
export const kindOf = (item: Item): EntityKind | undefined =>
  typeof item.kind === 'string' && Object.hasOwn(ENTITIES, item.kind)
    ? (item.kind as EntityKind)
    : undefined

/** Each entity is filed under its own kind (a typo in ENTITIES would misroute stream records). */
export type FiledByKind = typeof ENTITIES extends { [K in EntityKind]: { kind: K } } ? true : never
