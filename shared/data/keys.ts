/**
 * Every key pattern of the single table, declared once. Entities live under team
 * (and project) partitions; a user's personal tokens share one partition so that
 * listing and deleting them is one Query per page. Each entity's declaration
 * (entities.ts) names its key here; the README's table design is generated from those.
 *
 * The one secondary index, GSI1 (tableSchema.index), is sparse: only personal tokens
 * (TEAM#<team>#TOKENS, by next due time) and teams (TEAMS, by name) carry its keys.
 * Names never contain `#` (see names.ts), so no value can forge another key.
 */
export interface Key {
  PK: string
  SK: string
}

const ID_DIGITS = 16

const teamPk = (team: string) => `TEAM#${team}`
const userPk = (team: string, username: string) => `TEAM#${team}#USER#${username}`
const projectPk = (team: string, project: string) => `TEAM#${team}#PROJECT#${project}`

export const keys = {
  team: (team: string): Key => ({ PK: teamPk(team), SK: 'TEAM' }),
  user: (team: string, username: string): Key => ({ PK: teamPk(team), SK: `USER#${username}` }),
  project: (team: string, project: string): Key => ({
    PK: teamPk(team),
    SK: `PROJECT#${project}`,
  }),
  /** The team's token policy (maximum lifetime, quota, allowed scopes, inactivity). */
  tokenPolicy: (team: string): Key => ({ PK: teamPk(team), SK: 'TOKENPOLICY' }),
  /** Password attempts for a username, known or not (so lockout reveals nothing). */
  signInAttempts: (team: string, username: string): Key => ({
    PK: teamPk(team),
    SK: `SIGNIN#${username}`,
  }),
  enrollmentToken: (team: string, project: string, id: string): Key => ({
    PK: projectPk(team, project),
    SK: `SET#${id}`,
  }),
  server: (team: string, project: string, id: string): Key => ({
    PK: projectPk(team, project),
    SK: `SERVER#${id}`,
  }),
  cloudAccount: (team: string, project: string, id: string): Key => ({
    PK: projectPk(team, project),
    SK: `CLOUDACCOUNT#${id}`,
  }),
  /**
   * A signed sts:GetCallerIdentity request already used to enroll, by the hash of its
   * signature, until the signature expires. Its own partition: the signature names
   * its project, so it can never be valid for another one anyway.
   */
  usedAwsSignature: (signatureHash: string): Key => ({
    PK: `AWSSIG#${signatureHash}`,
    SK: 'AWSSIG',
  }),
  tombstone: (of: Key): Key => ({ PK: of.PK, SK: `TOMBSTONE#${of.SK}` }),
  /** The public keys that verify service tokens, as published by the signer (AWS). */
  serviceKeys: (): Key => ({ PK: 'SERVICE', SK: 'JWKS' }),
  accessToken: (team: string, username: string, id: number): Key => ({
    PK: userPk(team, username),
    SK: `PAT#${String(id).padStart(ID_DIGITS, '0')}`,
  }),
  /** One fixed window's request count of a rate-limited token (TTL removes it after). */
  rateWindow: (team: string, username: string, id: number, window: number): Key => ({
    PK: userPk(team, username),
    SK: `RATE#${String(id).padStart(ID_DIGITS, '0')}#${window}`,
  }),
  /**
   * A user's delete-all mark: every token with an id up to its `revokedThrough` is
   * revoked. It sorts first among the `PAT#` items, so the Query that lists the tokens
   * reads it too, and a token lookup reads it beside the token (one BatchGetItem).
   */
  tokenRevocation: (team: string, username: string): Key => ({
    PK: userPk(team, username),
    SK: 'PAT#',
  }),
  accessTokenName: (team: string, username: string, name: string): Key => ({
    PK: userPk(team, username),
    SK: `PATNAME#${name}`,
  }),
  /** An event kept in the audit trail; the sort key orders a team's trail by time. */
  auditRecord: (team: string, time: string, eventId: string): Key => ({
    PK: auditPk(team),
    SK: `AUDIT#${time}#${eventId}`,
  }),
  /** Written with its record, conditional on being new: each event id is kept once. */
  auditGuard: (team: string, eventId: string): Key => ({
    PK: auditPk(team),
    SK: `AUDITID#${eventId}`,
  }),
  /** Where the sweeper's inactivity pass over a team stands. */
  sweepState: (team: string): Key => ({ PK: teamPk(team), SK: 'SWEEP' }),
  /** The team the sweeper's next run starts with, when the last one ran out of budget. */
  sweeperState: (): Key => ({ PK: 'SWEEPER', SK: 'SWEEPER' }),
  /** Where the migration giving index keys to items written before the index stands. */
  indexMigration: (): Key => ({ PK: 'MIGRATION', SK: 'INDEX_KEYS' }),
} as const

const auditPk = (team: string) => `TEAM#${team}#AUDIT`

/** A key of the secondary index (tableSchema.index). */
export interface IndexKey {
  GSI1PK: string
  GSI1SK: string
}

/** Sorts after every ISO time: the due time of a token the sweeper never has to visit. */
export const NEVER_DUE = '~'

const tokenIndexPk = (team: string) => `TEAM#${team}#TOKENS`

export const indexKeys = {
  /**
   * A personal token in its team's index partition, by when the sweeper next has
   * something to do with it (a warning, its expiry), never-due tokens last. The
   * owner and id make each key unique and name the token's own key.
   */
  accessToken: (team: string, username: string, id: number, due: string | undefined) => ({
    GSI1PK: tokenIndexPk(team),
    GSI1SK: `${due ?? NEVER_DUE}#${username}#${String(id).padStart(ID_DIGITS, '0')}`,
  }),
  team: (team: string): IndexKey => ({ GSI1PK: 'TEAMS', GSI1SK: team }),
} as const

export const indexPartitions = {
  teamTokens: tokenIndexPk,
  teams: () => 'TEAMS',
} as const

/** A Query range: a partition plus a sort-key prefix. */
export interface Range {
  PK: string
  prefix: string
}

export const ranges = {
  users: (team: string): Range => ({ PK: teamPk(team), prefix: 'USER#' }),
  signInAttempts: (team: string): Range => ({ PK: teamPk(team), prefix: 'SIGNIN#' }),
  projects: (team: string): Range => ({ PK: teamPk(team), prefix: 'PROJECT#' }),
  enrollmentTokens: (team: string, project: string): Range => ({
    PK: projectPk(team, project),
    prefix: 'SET#',
  }),
  servers: (team: string, project: string): Range => ({
    PK: projectPk(team, project),
    prefix: 'SERVER#',
  }),
  cloudAccounts: (team: string, project: string): Range => ({
    PK: projectPk(team, project),
    prefix: 'CLOUDACCOUNT#',
  }),
  /** The tokens, after their revocation mark (which has the bare prefix as its key). */
  accessTokens: (team: string, username: string) => ({
    PK: userPk(team, username),
    prefix: 'PAT#',
  }),
  /** Tokens and their name guards together: `PAT#` and `PATNAME#` both start with `PAT`. */
  accessTokenItems: (team: string, username: string) => ({
    PK: userPk(team, username),
    prefix: 'PAT',
  }),
  audit: (team: string): Range => ({ PK: auditPk(team), prefix: 'AUDIT#' }),
} as const

/**
 * Everything a project owns (enrollment tokens, servers, cloud accounts): the items of
 * its partition that sort before its deletion records, so one Query finds them all.
 */
export const projectChildren = (team: string, project: string) => ({
  PK: projectPk(team, project),
  before: 'TOMBSTONE#',
})
