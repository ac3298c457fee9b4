import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, describe, expect, it } from 'vitest'
import {
  deleteLeaked,
  putTombstone,
  SECRET_SCANNING_ACTOR,
  tombstoneItem,
} from '../../shared/data/tombstones.js'
import { awsError, cancelled } from '../support/aws-errors.js'

/**
 * shared/data/tombstones.ts on its own: the deletion record as stored (only what it
 * has, its TTL by the deleted kind), and the leaked token's delete, which writes only
 * while the leaked secret still works and records where it leaked.
 */

const ddb = mockClient(DynamoDBDocumentClient)
const TABLE = 'latchkey-unit'
const AT = '2026-11-26T00:00:00.000Z'
const AT_SECONDS = Date.parse(AT) / 1000
const DAY = 86_400
const server = { PK: 'TEAM#acme#PROJECT#web', SK: 'SERVER#s1' }
const enrollment = { PK: 'TEAM#acme#PROJECT#web', SK: 'ENROLLMENT#e1' }

beforeEach(() => ddb.reset())

describe('the deletion record', () => {
  it('holds who deleted what and when, beside the deleted key, without the parts it lacks', () => {
    expect(
      tombstoneItem(server, { entity: 'Server', team: 'acme', deletedBy: 'ann', deletedAt: AT }),
    ).toEqual({
      PK: 'TEAM#acme#PROJECT#web',
      SK: 'TOMBSTONE#SERVER#s1',
      kind: 'Tombstone',
      entity: 'Server',
      team: 'acme',
      deletedBy: 'ann',
      deletedAt: AT,
      ttl: AT_SECONDS + 90 * DAY,
    })
  })

  it('keeps every optional part it is given, and an enrollment token 7 days', () => {
    const deletion = {
      entity: 'EnrollmentToken' as const,
      team: 'acme',
      project: 'web',
      id: 'e1',
      deletedBy: SECRET_SCANNING_ACTOR,
      deletedAt: AT,
      secretHash: 'h',
      reason: 'leaked' as const,
      leakUrl: 'https://github.com/acme/app/blob/abc/config.yml',
      leakSource: 'content',
    }
    const { entity, ...rest } = deletion
    expect(putTombstone(enrollment, deletion)).toEqual({
      Put: {
        TableName: TABLE,
        Item: {
          PK: 'TEAM#acme#PROJECT#web',
          SK: 'TOMBSTONE#ENROLLMENT#e1',
          kind: 'Tombstone',
          entity,
          ...rest,
          ttl: AT_SECONDS + 7 * DAY,
        },
      },
    })
  })
})

describe('deleteLeaked', () => {
  const deletion = {
    entity: 'Server' as const,
    team: 'acme',
    project: 'web',
    id: 's1',
    deletedAt: AT,
    secretHash: 'stored-hash',
  }
  const leak = {
    url: 'https://github.com/acme/app/blob/abc/.env',
    source: 'commit',
    hash: 'leaked',
  }

  it('deletes the token while the leaked secret is current or in its grace, recording the leak', async () => {
    ddb.on(TransactWriteCommand).resolves({})
    expect(await deleteLeaked(server, deletion, leak)).toBe(true)
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1)
    expect(ddb).toHaveReceivedCommandWith(TransactWriteCommand, {
      TransactItems: [
        {
          Delete: {
            TableName: TABLE,
            Key: server,
            ConditionExpression:
              '(secretHash = :hash OR (previousHash = :hash AND previousValidUntil > :now))',
            ExpressionAttributeValues: { ':hash': 'leaked', ':now': AT },
          },
        },
        {
          Put: {
            TableName: TABLE,
            Item: {
              PK: 'TEAM#acme#PROJECT#web',
              SK: 'TOMBSTONE#SERVER#s1',
              kind: 'Tombstone',
              entity: 'Server',
              team: 'acme',
              project: 'web',
              id: 's1',
              deletedBy: 'secret-scanning',
              deletedAt: AT,
              secretHash: 'stored-hash',
              reason: 'leaked',
              leakUrl: 'https://github.com/acme/app/blob/abc/.env',
              leakSource: 'commit',
              ttl: AT_SECONDS + 90 * DAY,
            },
          },
        },
      ],
    })
  })

  it('answers false, writing nothing, when the secret no longer works or the token is gone', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'))
    expect(await deleteLeaked(server, deletion, leak)).toBe(false)
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1)
  })

  it('throws a failure rather than reading it as "not ours"', async () => {
    ddb.on(TransactWriteCommand).rejects(awsError('ProvisionedThroughputExceededException'))
    await expect(deleteLeaked(server, deletion, leak)).rejects.toThrow(
      'ProvisionedThroughputExceededException',
    )
  })
})
