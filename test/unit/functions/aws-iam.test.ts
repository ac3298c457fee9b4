import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest'
import { handler as enroll } from '../../../functions/servers/enroll.js'
import { checkSignedRequest } from '../../../shared/aws/sts.js'
import { type StreamRecord, toEvent } from '../../../shared/events/events.js'
import { setMetricsWriter } from '../../../shared/metrics.js'
import { sha256 } from '../../../shared/tokens/crypto.js'
import { cancelled } from '../../support/aws-errors.js'
import { invoke } from '../../support/invoke.js'
import { instanceRole, signCallerIdentity } from '../../support/sts.js'

const ddb = mockClient(DynamoDBDocumentClient)
const TABLE = 'latchkey-unit'
const PK = 'TEAM#acme#PROJECT#web'
const ACCOUNT_ID = '0193a0a0-0000-7000-8000-000000000009'
const A = '111122223333'
const role = instanceRole(A, 'web-server', 'i-0123456789abcdef0', 'ASIAUNITTEST')
const params = { team: 'acme', project: 'web' }

const cloudAccountItem = (roleArns: string[] = []) => ({
  PK,
  SK: `CLOUDACCOUNT#${ACCOUNT_ID}`,
  kind: 'CloudAccount',
  team: 'acme',
  project: 'web',
  id: ACCOUNT_ID,
  provider: 'aws',
  accountId: A,
  roleArns,
  createdAt: '2026-11-01T00:00:00.000Z',
  createdBy: 'ann',
})
const identityXml = (account = A, arn = role.arn) =>
  `<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>${arn}</Arn><UserId>AROA:x</UserId><Account>${account}</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`

let fetchMock: MockInstance<typeof fetch>
let logged: string[]
beforeEach(() => {
  ddb.reset()
  logged = []
  vi.spyOn(process.stdout, 'write').mockImplementation((line) => {
    logged.push(String(line))
    return true
  })
  fetchMock = vi.spyOn(globalThis, 'fetch')
})
afterEach(() => fetchMock.mockRestore())

const post = (aws_iam: unknown, headers: Record<string, string> = {}) =>
  invoke(enroll, {
    method: 'POST',
    url: '/v1/teams/acme/projects/web/servers',
    params,
    headers,
    body: { hostname: 'web-01', aws_iam },
  })
const signed = (options: Partial<Parameters<typeof signCallerIdentity>[1]> = {}) =>
  signCallerIdentity(role, { project: 'acme/web', ...options })

describe('secretless enrollment: calls and exact inputs', () => {
  it('costs one Query and one transaction, beside one STS call sent exactly as signed', async () => {
    const request = await signed()
    fetchMock.mockResolvedValue(new Response(identityXml(), { status: 200 }))
    ddb.on(QueryCommand).resolves({ Items: [cloudAccountItem([`arn:aws:iam::${A}:role/web-*`])] })
    ddb.on(TransactWriteCommand).resolves({})
    const reply = await post(request)
    expect(reply.statusCode).toBe(201)
    expect(reply.json.server).toMatchObject({
      enrollment_token_id: null,
      cloud_provider: 'aws',
      cloud_account: A,
      instance_id: 'i-0123456789abcdef0',
    })

    expect(fetchMock).toHaveBeenCalledTimes(1)
    const [url, init] = fetchMock.mock.calls[0] ?? []
    expect(url).toBe('https://sts.amazonaws.com/')
    const { host: _host, ...forwarded } = request.headers
    expect(init).toEqual({
      method: 'POST',
      headers: forwarded,
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
      redirect: 'manual',
      signal: expect.any(AbortSignal),
    })

    expect(ddb.calls()).toHaveLength(2)
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TABLE,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': PK, ':prefix': 'CLOUDACCOUNT#' },
      Limit: 1001,
      ConsistentRead: true,
    })
    const [server, guard, project, account] =
      ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? []
    const serverId = reply.json.server.id
    expect(server?.Put).toEqual({
      TableName: TABLE,
      Item: {
        PK,
        SK: `SERVER#${serverId}`,
        kind: 'Server',
        team: 'acme',
        project: 'web',
        id: serverId,
        hostname: 'web-01',
        cloudProvider: 'aws',
        cloudAccount: A,
        instanceId: 'i-0123456789abcdef0',
        cloudArn: role.arn,
        registeredAt: reply.json.server.registered_at,
        secretHash: expect.stringMatching(/^[\w-]{43}$/),
      },
      ConditionExpression: 'attribute_not_exists(PK)',
    })
    const signature = request.headers.authorization?.split('Signature=')[1] ?? ''
    const signedAt = Date.parse(
      (request.headers['x-amz-date'] ?? '').replace(
        /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/,
        '$1-$2-$3T$4:$5:$6Z',
      ),
    )
    expect(guard?.Put).toEqual({
      TableName: TABLE,
      Item: {
        PK: `AWSSIG#${sha256(signature)}`,
        SK: 'AWSSIG',
        kind: 'UsedAwsSignature',
        team: 'acme',
        project: 'web',
        serverId,
        usedAt: expect.any(String),
        expiresAt: new Date(signedAt + 15 * 60_000).toISOString(),
        ttl: signedAt / 1000 + 15 * 60,
      },
      ConditionExpression: 'attribute_not_exists(PK)',
    })
    expect(project?.ConditionCheck?.Key).toEqual({ PK: 'TEAM#acme', SK: 'PROJECT#web' })
    expect(account?.ConditionCheck).toEqual({
      TableName: TABLE,
      Key: { PK, SK: `CLOUDACCOUNT#${ACCOUNT_ID}` },
      ConditionExpression: 'attribute_exists(PK)',
    })
    expect(JSON.stringify(logged)).not.toContain(signature)
  })

  it.each([
    ['another host', { url: 'https://example.com/' }],
    ['plain http', { url: 'http://sts.amazonaws.com/' }],
    ['a path', { url: 'https://sts.amazonaws.com/x' }],
    ['another action', { body: 'Action=AssumeRole&Version=2011-06-15' }],
    ['a GET', { method: 'GET' }],
  ])('refuses %s with no STS call and no DynamoDB call', async (_, change) => {
    const reply = await post({ ...(await signed()), ...change })
    expect(reply.statusCode).toBe(401)
    expect(reply.json.code).toBe('authentication_error')
    expect(fetchMock).not.toHaveBeenCalled()
    expect(ddb.calls()).toHaveLength(0)
    expect(logged.join('')).toContain('secretless enrollment refused')
  })

  it.each([
    ['unreachable', () => fetchMock.mockRejectedValue(new TypeError('fetch failed'))],
    [
      'timing out',
      () => fetchMock.mockRejectedValue(new DOMException('timed out', 'TimeoutError')),
    ],
    [
      'throttling',
      () =>
        fetchMock.mockResolvedValue(
          new Response('<ErrorResponse><Error><Code>Throttling</Code></Error></ErrorResponse>', {
            status: 400,
          }),
        ),
    ],
    ['failing', () => fetchMock.mockResolvedValue(new Response('', { status: 503 }))],
  ])('answers 503 + Retry-After with STS %s, and writes nothing', async (_, arrange) => {
    arrange()
    ddb.on(QueryCommand).resolves({ Items: [cloudAccountItem()] })
    const reply = await post(await signed())
    expect(reply.statusCode).toBe(503)
    expect(reply.headers?.['retry-after']).toBe('5')
    expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand)
  })

  it.each([
    ['a refused signature', new Response('<Code>SignatureDoesNotMatch</Code>', { status: 403 })],
    ['a redirect', new Response('', { status: 307, headers: { location: 'http://x/' } })],
    ['two accounts', new Response(identityXml() + identityXml(), { status: 200 })],
    [
      'an ARN of another account',
      new Response(identityXml(A, 'arn:aws:sts::999999999999:assumed-role/web-server/i-1'), {
        status: 200,
      }),
    ],
    [
      'an unregistered account',
      new Response(
        identityXml('999999999999', 'arn:aws:sts::999999999999:assumed-role/web-server/i-1'),
        { status: 200 },
      ),
    ],
  ])('answers 401 for %s, with no write', async (_, response) => {
    fetchMock.mockResolvedValue(response)
    ddb.on(QueryCommand).resolves({ Items: [cloudAccountItem()] })
    const reply = await post(await signed())
    expect(reply.statusCode).toBe(401)
    expect(ddb).not.toHaveReceivedCommand(TransactWriteCommand)
  })

  it('answers 401 to a replay, told by the guard refusing in the transaction', async () => {
    fetchMock.mockResolvedValue(new Response(identityXml(), { status: 200 }))
    ddb.on(QueryCommand).resolves({ Items: [cloudAccountItem()] })
    ddb
      .on(TransactWriteCommand)
      .rejects(cancelled('None', 'ConditionalCheckFailed', 'None', 'None'))
    const reply = await post(await signed())
    expect(reply.statusCode).toBe(401)
    expect(logged.join('')).toContain('this signed request was used already')
  })

  it.each([
    ['i-0123456789abcdef0', 'i-0123456789abcdef0'],
    ['i-01234567', 'i-01234567'],
    ['i-0123456', null],
    ['i-0123456789abcdef01', null],
    ['deploy-bot', null],
    ['xi-0123456789abcdef0', null],
    ['i-0123456789abcdef0x', null],
    ['i-0123456789ABCDEF0', null],
  ])(
    'takes the role session %s as the instance id only when it names one: %s',
    async (session, instanceId) => {
      fetchMock.mockResolvedValue(
        new Response(identityXml(A, `arn:aws:sts::${A}:assumed-role/web-server/${session}`), {
          status: 200,
        }),
      )
      ddb.on(QueryCommand).resolves({ Items: [cloudAccountItem()] })
      ddb.on(TransactWriteCommand).resolves({})
      const metrics: string[] = []
      setMetricsWriter((line) => metrics.push(line))
      const reply = await post(await signed())
      setMetricsWriter(undefined)
      expect(reply.statusCode).toBe(201)
      expect(reply.json.server.instance_id).toBe(instanceId)
      expect(metrics.map((line) => JSON.parse(line))).toContainEqual(
        expect.objectContaining({ Enrollments: 1 }),
      )
    },
  )

  it('leaves token enrollment alone: no STS call, and a garbage token no DynamoDB call', async () => {
    ddb.on(GetCommand).resolves({})
    const reply = await invoke(enroll, {
      method: 'POST',
      url: '/v1/teams/acme/projects/web/servers',
      params,
      token: 'not-a-token',
      body: { hostname: 'web-01' },
    })
    expect(reply.statusCode).toBe(401)
    expect(fetchMock).not.toHaveBeenCalled()
    expect(ddb.calls()).toHaveLength(0)
  })
})

describe('the signed request check', () => {
  const now = () => new Date()
  it('accepts what the SDK signs, global and regional', async () => {
    expect(checkSignedRequest(await signed(), 'acme/web', now()).ok).toBe(true)
    const regional = await signed({
      url: 'https://sts.eu-west-1.amazonaws.com/',
      region: 'eu-west-1',
    })
    const checked = checkSignedRequest(regional, 'acme/web', now())
    expect(checked.ok && checked.request.url).toBe('https://sts.eu-west-1.amazonaws.com/')
  })

  it.each([
    ['a header given twice', (r: Signed) => ({ ...r, headers: { ...r.headers, HOST: 'x' } })],
    ['another Host', (r: Signed) => ({ ...r, headers: { ...r.headers, host: 'evil.example' } })],
    [
      'a signed Connection header',
      (r: Signed) => ({
        ...r,
        headers: {
          ...r.headers,
          authorization: String(r.headers.authorization).replace(
            'SignedHeaders=',
            'SignedHeaders=connection;',
          ),
        },
      }),
    ],
    [
      'a JSON body type',
      (r: Signed) => ({ ...r, headers: { ...r.headers, 'content-type': 'application/json' } }),
    ],
  ])('refuses %s', async (_, change) => {
    const checked = checkSignedRequest(change(await signed()), 'acme/web', now())
    expect(checked.ok).toBe(false)
  })
})

type Signed = Awaited<ReturnType<typeof signCallerIdentity>>

describe('events', () => {
  it('says a secretless enrollment was by aws_iam, naming the identity, not a token', () => {
    const record: StreamRecord = {
      eventID: 'e1',
      eventName: 'INSERT',
      dynamodb: {
        NewImage: {
          kind: { S: 'Server' },
          team: { S: 'acme' },
          project: { S: 'web' },
          id: { S: 's1' },
          hostname: { S: 'web-01' },
          registeredAt: { S: '2026-11-25T00:00:00.000Z' },
          cloudProvider: { S: 'aws' },
          cloudAccount: { S: A },
          instanceId: { S: 'i-0123456789abcdef0' },
          cloudArn: { S: role.arn },
          secretHash: { S: 'h' },
        },
      },
    }
    expect(toEvent(record)).toEqual({
      id: 'e1',
      type: 'ServerEnrolled',
      time: '2026-11-25T00:00:00.000Z',
      detail: {
        team: 'acme',
        project: 'web',
        actor: `aws_iam:${role.arn}`,
        server_id: 's1',
        hostname: 'web-01',
        method: 'aws_iam',
        enrollment_token_id: null,
        cloud_provider: 'aws',
        cloud_account: A,
        instance_id: 'i-0123456789abcdef0',
      },
    })
  })

  it('publishes cloud accounts added and removed, and nothing for used signatures', () => {
    const added = toEvent({
      eventID: 'e2',
      eventName: 'INSERT',
      dynamodb: {
        NewImage: {
          kind: { S: 'CloudAccount' },
          team: { S: 'acme' },
          project: { S: 'web' },
          id: { S: ACCOUNT_ID },
          provider: { S: 'aws' },
          accountId: { S: A },
          createdAt: { S: '2026-11-25T00:00:00.000Z' },
          createdBy: { S: 'ann' },
        },
      },
    })
    expect(added?.type).toBe('CloudAccountAdded')
    expect(added?.detail).toEqual({
      team: 'acme',
      project: 'web',
      actor: 'ann',
      cloud_account_id: ACCOUNT_ID,
      provider: 'aws',
      account_id: A,
    })
    const removed = toEvent({
      eventID: 'e3',
      eventName: 'INSERT',
      dynamodb: {
        NewImage: {
          kind: { S: 'Tombstone' },
          entity: { S: 'CloudAccount' },
          team: { S: 'acme' },
          project: { S: 'web' },
          id: { S: ACCOUNT_ID },
          deletedBy: { S: 'ann' },
          deletedAt: { S: '2026-11-25T00:00:00.000Z' },
        },
      },
    })
    expect(removed?.type).toBe('CloudAccountRemoved')
    expect(removed?.detail).toEqual({
      team: 'acme',
      project: 'web',
      actor: 'ann',
      cloud_account_id: ACCOUNT_ID,
    })
    const used = toEvent({
      eventID: 'e4',
      eventName: 'INSERT',
      dynamodb: { NewImage: { kind: { S: 'UsedAwsSignature' }, team: { S: 'acme' } } },
    })
    expect(used).toBeUndefined()
  })
})
