import { describe, expect, it } from 'vitest'
import { tableDesign } from '../../scripts/table-design.js'
import { UnknownValue } from '../../shared/data/codecs.js'
import {
  AccessToken,
  ENTITIES,
  INDEXED_TOKEN_FIELDS,
  kindOf,
  Project,
  RateWindow,
  Server,
  Tombstone,
  UsedAwsSignature,
  User,
} from '../../shared/data/entities.js'
import { tableSchema } from '../../shared/data/table.js'
import { indexedToken } from '../../shared/data/token-index.js'

describe('entity declarations', () => {
  it('store a token without its nulls, with its kind, key and TTL, and read it back as it was', () => {
    const token = {
      team: 'acme',
      username: 'alice',
      id: 7,
      name: 'ci',
      secretHash: 'h',
      dateCreated: '2026-11-25T10:00:00.000Z',
      lastUsed: null,
      expiresAt: '2026-12-25T10:00:00.000Z',
      scopes: null,
      meta: { env: 'prod', n: 1 },
      rateLimit: { limit: 5, windowSeconds: 60 },
      previousHash: null,
      previousValidUntil: null,
      rotatedAt: null,
      leakedAt: null,
      leakUrl: null,
      leakSource: null,
      expiryWarned: null,
      expiryWarnedAt: null,
      removalBy: null,
      removalReason: null,
      removalAt: null,
    }
    const item = AccessToken.item(token)
    expect(item).toEqual({
      PK: 'TEAM#acme#USER#alice',
      SK: 'PAT#0000000000000007',
      kind: 'AccessToken',
      team: 'acme',
      username: 'alice',
      id: 7,
      name: 'ci',
      secretHash: 'h',
      dateCreated: '2026-11-25T10:00:00.000Z',
      expiresAt: '2026-12-25T10:00:00.000Z',
      meta: '{"env":"prod","n":1}',
      rateLimit: { limit: 5, windowSeconds: 60 },
      ttl: Date.parse('2026-12-25T10:00:00.000Z') / 1000,
      // In its team's index, due for its 7-day warning (the index key is declared too).
      GSI1PK: 'TEAM#acme#TOKENS',
      GSI1SK: '2026-12-18T10:00:00.000Z#alice#0000000000000007',
    })
    expect(AccessToken.decode(item)).toEqual(token)
  })

  it('keep each project setting as its own attribute, and drop a setting of the wrong type on read', () => {
    const project = {
      team: 'acme',
      name: 'web',
      id: 'p1',
      createdAt: 't',
      createdBy: 'ann',
      settings: { forward_traffic: true, next_unix_uid: 70000 },
      version: null,
      deleting: null,
      deletingBy: null,
      deleteStep: null,
      updatedAt: null,
      updatedBy: null,
    }
    const item = Project.item(project)
    expect(item.forward_traffic).toBe(true)
    expect(item).not.toHaveProperty('settings')
    expect(Project.decode(item)).toEqual(project)
    expect(Project.decode({ ...item, forward_traffic: 'yes' }).settings).toEqual({
      next_unix_uid: 70000,
    })
  })

  it('read the lesser role from a user item whose role is unreadable', () => {
    const item = { team: 'acme', username: 'x', role: 'root', mfaEnabled: 'true', createdAt: 't' }
    expect(User.decode(item)).toMatchObject({ role: 'member', mfaEnabled: false, tokenSeq: 0 })
  })

  it("read a deletion record's subject and a used signature's hash back from their keys", () => {
    const of = { PK: 'TEAM#acme#PROJECT#web', SK: 'SERVER#s1' }
    const deletion = {
      of,
      entity: 'Server' as const,
      team: 'acme',
      project: 'web',
      id: 's1',
      deletedBy: 'ann',
      deletedAt: '2026-11-25T00:00:00.000Z',
      secretHash: 'h',
      reason: null,
      leakUrl: null,
      leakSource: null,
    }
    const item = Tombstone.item(deletion)
    expect(item).toMatchObject({ PK: of.PK, SK: 'TOMBSTONE#SERVER#s1' })
    expect(item).not.toHaveProperty('of')
    // Servers' records stay 90 days: a stopped agent coming back is told it was revoked.
    expect(item.ttl).toBe(Date.parse(deletion.deletedAt) / 1000 + 90 * 86_400)
    expect(Tombstone.decode(item)).toEqual(deletion)
    const used = UsedAwsSignature.item({
      signatureHash: 'abc',
      team: 'acme',
      project: 'web',
      serverId: 's1',
      usedAt: 't',
      expiresAt: '2026-11-25T00:15:00.000Z',
    })
    expect(UsedAwsSignature.decode(used).signatureHash).toBe('abc')
  })

  it('refuse a deletion record of an unknown kind of item rather than reading it as the first', () => {
    const item = { PK: 'TEAM#acme', SK: 'TOMBSTONE#WIDGET#w', entity: 'Widget', team: 'acme' }
    expect(() => Tombstone.decode(item)).toThrow(UnknownValue)
    expect(Tombstone.decode({ ...item, entity: 'CloudAccount' }).entity).toBe('CloudAccount')
  })

  it("read a token's index projection through the token's own codecs, and nothing else of it", () => {
    const projection = {
      kind: 'AccessToken',
      team: 'acme',
      username: 'alice',
      id: 7,
      name: 'ci',
      dateCreated: '2026-11-25T10:00:00.000Z',
      expiryWarned: 7,
      GSI1SK: 'due',
    }
    expect(indexedToken(projection)).toEqual({
      team: 'acme',
      username: 'alice',
      id: 7,
      name: 'ci',
      scopes: null,
      dateCreated: '2026-11-25T10:00:00.000Z',
      lastUsed: null,
      expiresAt: null,
      expiryWarned: 7,
      indexSk: 'due',
    })
    // The index keeps exactly these (and the kind): never the hash, the meta or the rate limit.
    expect(tableSchema.index.projected).toEqual(['kind', ...INDEXED_TOKEN_FIELDS])
    expect(INDEXED_TOKEN_FIELDS).not.toContain('secretHash')
    expect(INDEXED_TOKEN_FIELDS).not.toContain('meta')
  })

  it('keep a rate window a minute past its end, and a server without its absent fields', () => {
    const window = {
      team: 'a',
      username: 'b',
      tokenId: 1,
      window: 10,
      windowSeconds: 60,
      used: 0,
      lastUsedClaim: null,
    }
    expect(RateWindow.item(window).ttl).toBe(11 * 60 + 60)
    const server = Server.item({
      team: 'acme',
      project: 'web',
      id: 's1',
      hostname: 'h',
      os: null,
      canonicalName: null,
      instanceDetails: null,
      enrollmentTokenId: 'e1',
      cloudProvider: null,
      cloudAccount: null,
      instanceId: null,
      cloudArn: null,
      registeredAt: 't',
      lastSeen: null,
      secretHash: 'h',
      previousHash: null,
      previousValidUntil: null,
      rotatedAt: null,
    })
    expect(Object.keys(server).sort()).toEqual(
      [
        'PK',
        'SK',
        'kind',
        'team',
        'project',
        'id',
        'hostname',
        'enrollmentTokenId',
        'registeredAt',
        'secretHash',
      ].sort(),
    )
  })

  it('name only kinds they declare, each filed under its own kind', () => {
    for (const [kind, entity] of Object.entries(ENTITIES)) {
      expect(entity.kind).toBe(kind)
      expect(kindOf({ kind })).toBe(kind)
    }
    expect(kindOf({ kind: 'toString' })).toBeUndefined()
    expect(kindOf({ kind: 'Gadget' })).toBeUndefined()
    expect(kindOf({})).toBeUndefined()
  })

  it('give the README one row per kind with its key pattern', () => {
    const table = tableDesign()
    for (const kind of Object.keys(ENTITIES)) expect(table).toContain(`| \`${kind}\` |`)
    expect(table).toContain('| `TEAM#<team>#USER#<username>` | `PAT#<id, 16 digits>` |')
    expect(table).toContain("| `<the deleted item's PK>` | `TOMBSTONE#<its SK>` |")
  })
})
