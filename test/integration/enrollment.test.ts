import { ScanCommand } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { issueServerToken } from '../../shared/tokens/server-token.js'
import { startTestApp } from '../support/app.js'

/** ASA server enrollment tokens, and the agent's side: enroll, heartbeat, revocation. */
let app: Awaited<ReturnType<typeof startTestApp>>
let admin: string
let member: string

const base = '/v1/teams/acme/projects'
const tokens = (project: string) => `${base}/${project}/server_enrollment_tokens`
const servers = (project: string) => `${base}/${project}/servers`

beforeAll(async () => {
  app = await startTestApp('acme')
  admin = app.admin.token
  member = await app.addUser('acme', 'mia', 'member')
  for (const name of ['web', 'db', 'race'])
    await app.api('POST', base, { token: admin, body: { name } })
})
afterAll(() => app?.close())

const createToken = async (project: string, body: Record<string, unknown> = {}) => {
  const reply = await app.api('POST', tokens(project), {
    token: admin,
    body: { description: 'agents', ...body },
  })
  expect(reply.status).toBe(201)
  return reply.body
}

const enroll = (project: string, token: string, hostname = 'host-1') =>
  app.api('POST', servers(project), { token, body: { hostname, os: 'linux' } })

describe('server enrollment tokens', () => {
  it('creates (201) a token ASA agents can read, and returns it again on fetch and list', async () => {
    const created = await createToken('web', { description: 'web fleet' })
    expect(created).toEqual({
      id: expect.stringMatching(
        /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      ),
      token: expect.any(String),
      description: 'web fleet',
      created_by_user: 'admin',
      issued_at: expect.stringMatching(/Z$/),
      expires_at: null,
      max_uses: null,
      uses: 0,
      last_used_at: null,
    })
    const decoded = JSON.parse(Buffer.from(created.token, 'base64').toString())
    expect(decoded.s).toMatch(/^[0-9A-Za-z]{43}$/) // 256 bits
    expect(decoded.u).toBe(app.url)

    const fetched = await app.api('GET', `${tokens('web')}/${created.id}`, { token: member })
    expect(fetched.status).toBe(200)
    expect(fetched.body).toEqual(created)
    const listed = await app.api('GET', tokens('web'), { token: member })
    expect(listed.body.list).toContainEqual(created)
  })

  it('stores the token sealed and hashed, never in clear', async () => {
    const created = await createToken('web')
    const secret = JSON.parse(Buffer.from(created.token, 'base64').toString()).s
    const { Items = [] } = await app.db.send(new ScanCommand({ TableName: app.tableName }))
    const stored = JSON.stringify(Items)
    expect(stored).not.toContain(created.token)
    expect(stored).not.toContain(secret)
    const item = Items.find((i) => i.SK === `SET#${created.id}`)
    expect(item?.sealed).toMatch(/^v1\.local\./)
    expect(item?.secretHash).toMatch(/^[\w-]{43}$/)
  })

  it.each([
    ['no description', {}, 'description'],
    ['a blank description', { description: '   ' }, 'description'],
    ['a description of 256 characters', { description: 'x'.repeat(256) }, 'description'],
    ['max_uses 0', { description: 'd', max_uses: 0 }, 'max_uses'],
    ['expires_in_seconds 10', { description: 'd', expires_in_seconds: 10 }, 'expires_in_seconds'],
    ['an unknown field', { description: 'd', colour: 'red' }, 'colour'],
  ])('answers 400 for %s, naming the field', async (_, body, field) => {
    const reply = await app.api('POST', tokens('web'), { token: admin, body })
    expect(reply.status).toBe(400)
    expect(reply.body.errors.map((e: { description: string }) => e.description)).toContain(field)
  })

  it('answers 404 for an unknown project or token, 400 for an id that is not a UUID', async () => {
    const missing = '0190f5a0-0000-7000-8000-000000000000'
    expect((await app.api('GET', tokens('nope'), { token: admin })).status).toBe(404)
    expect(
      (await app.api('POST', tokens('nope'), { token: admin, body: { description: 'd' } })).status,
    ).toBe(404)
    expect((await app.api('GET', `${tokens('web')}/${missing}`, { token: admin })).status).toBe(404)
    expect((await app.api('DELETE', `${tokens('web')}/${missing}`, { token: admin })).status).toBe(
      404,
    )
    const bad = await app.api('GET', `${tokens('web')}/42`, { token: admin })
    expect(bad.status).toBe(400)
    expect(bad.body.errors[0].description).toBe('enrollmentTokenId')
  })

  // Each route's declared 400, naming the parameter at fault (after authorisation).
  it.each([
    ['GET', 'server_enrollment_tokens?count=0', 'count'],
    ['DELETE', 'server_enrollment_tokens/42', 'enrollmentTokenId'],
    ['GET', 'servers?count=ten', 'count'],
    ['GET', 'servers/not-a-uuid', 'serverId'],
    ['DELETE', 'servers/not-a-uuid', 'serverId'],
  ])('answers 400 to %s .../%s, naming %s', async (method, path, field) => {
    const reply = await app.api(method, `${base}/web/${path}`, { token: admin })
    expect(reply.status).toBe(400)
    expect(reply.body.code).toBe('invalid_request')
    expect(reply.body.errors.map((e: { description: string }) => e.description)).toEqual([field])
  })

  it.each([
    ['no hostname', { os: 'linux' }, 'hostname'],
    ['a hostname that is not a string', { hostname: 42 }, 'hostname'],
    ['an unknown field', { hostname: 'h', colour: 'red' }, 'colour'],
  ])(
    'refuses an enrollment with %s (400 naming it), spending no use of the token',
    async (_, body, field) => {
      const created = await createToken('web', { max_uses: 1 })
      const reply = await app.api('POST', servers('web'), { token: created.token, body })
      expect(reply.status).toBe(400)
      expect(reply.body.code).toBe('invalid_request')
      expect(reply.body.errors.map((e: { description: string }) => e.description)).toContain(field)
      // The one use is still there.
      expect((await enroll('web', created.token, 'after-400')).status).toBe(201)
    },
  )

  it('answers an empty list for a project without tokens', async () => {
    const reply = await app.api('GET', tokens('db'), { token: admin })
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual({ list: [] })
  })
})

describe('enrollment, heartbeat and revocation', () => {
  it('enrolls a server (201, server token once), counts the use and lists the server', async () => {
    const created = await createToken('web', { max_uses: 3 })
    const reply = await enroll('web', created.token, 'web-01')
    expect(reply.status).toBe(201)
    expect(reply.headers.get('cache-control')).toBe('no-store')
    expect(reply.body).toEqual({
      server: {
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        hostname: 'web-01',
        os: 'linux',
        canonical_name: null,
        project_name: 'web',
        team_name: 'acme',
        enrollment_token_id: created.id,
        registered_at: expect.stringMatching(/Z$/),
        last_seen: null,
        instance_details: null,
        cloud_provider: null,
        cloud_account: null,
        instance_id: null,
      },
      server_token: expect.stringMatching(/^lks_/),
    })
    const token = await app.api('GET', `${tokens('web')}/${created.id}`, { token: admin })
    expect(token.body).toMatchObject({ uses: 1, last_used_at: expect.stringMatching(/Z$/) })
    const { id } = reply.body.server
    const listed = await app.api('GET', servers('web'), { token: member })
    expect(listed.body.list.map((s: { id: string }) => s.id)).toContain(id)
    const fetched = await app.api('GET', `${servers('web')}/${id}`, { token: member })
    expect(fetched.body).toEqual(reply.body.server)
    expect(JSON.stringify(listed.body)).not.toContain(reply.body.server_token)
  })

  it('records heartbeats, and revokes the server token when the server is deleted', async () => {
    const created = await createToken('web')
    const { server, server_token } = (await enroll('web', created.token, 'web-02')).body
    const beat = `${servers('web')}/${server.id}/heartbeat`
    expect((await app.api('POST', beat, { token: server_token })).status).toBe(204)
    const seen = await app.api('GET', `${servers('web')}/${server.id}`, { token: admin })
    expect(seen.body.last_seen).toMatch(/Z$/)
    // A well-formed token for this very server with another secret: refused by the
    // heartbeat's own conditional write, which changes nothing.
    const impostor = issueServerToken({ team: 'acme', project: 'web', id: server.id }).token
    const refused = await app.api('POST', beat, { token: impostor })
    expect(refused.status).toBe(401)
    expect(refused.body.code).toBe('authentication_error')
    const after = await app.api('GET', `${servers('web')}/${server.id}`, { token: admin })
    expect(after.body.last_seen).toBe(seen.body.last_seen)

    expect(
      (await app.api('DELETE', `${servers('web')}/${server.id}`, { token: member })).status,
    ).toBe(403)
    expect(
      (await app.api('DELETE', `${servers('web')}/${server.id}`, { token: admin })).status,
    ).toBe(204)
    const revoked = await app.api('POST', beat, { token: server_token })
    expect(revoked.status).toBe(401)
    expect(revoked.body.code).toBe('server_authorization_revoked')
    // Forged tokens for the deleted server learn nothing about it: a mangled one fails
    // its checksum; a well-formed one with another secret reaches the deletion record,
    // whose hash it doesn't match (only the genuine token is told it was revoked).
    const mangled = `${server_token.slice(0, -10)}AAAAAAAAAA`
    const wellFormed = issueServerToken({ team: 'acme', project: 'web', id: server.id }).token
    for (const forged of [mangled, wellFormed]) {
      const plain = await app.api('POST', beat, { token: forged })
      expect(plain.status).toBe(401)
      expect(plain.body.code).toBe('authentication_error')
    }
    expect(
      (await app.api('DELETE', `${servers('web')}/${server.id}`, { token: admin })).status,
    ).toBe(404)
  })

  it("refuses a server token on another server's heartbeat path", async () => {
    const created = await createToken('web')
    const one = (await enroll('web', created.token, 'a')).body
    const two = (await enroll('web', created.token, 'b')).body
    const reply = await app.api('POST', `${servers('web')}/${two.server.id}/heartbeat`, {
      token: one.server_token,
    })
    expect(reply.status).toBe(401)
    expect(reply.body.code).toBe('authentication_error')
  })

  it('answers the same 401 for unknown, deleted, other-project, used-up and garbage tokens', async () => {
    const used = await createToken('web', { max_uses: 1 })
    expect((await enroll('web', used.token)).status).toBe(201)
    const deleted = await createToken('web')
    await app.api('DELETE', `${tokens('web')}/${deleted.id}`, { token: admin })
    const forDb = await createToken('db')
    const decoded = JSON.parse(Buffer.from(used.token, 'base64').toString())
    const unknown = Buffer.from(
      JSON.stringify({ ...decoded, i: '0190f5a0-0000-7000-8000-000000000000' }),
    ).toString('base64')
    const cases = {
      'used up': used.token,
      deleted: deleted.token,
      'other project': forDb.token,
      unknown,
      garbage: 'bm90LWEtdG9rZW4=',
      'a personal token': admin,
    }
    for (const [label, token] of Object.entries(cases)) {
      const reply = await enroll('web', token)
      expect(reply.status, label).toBe(401)
      expect(reply.body.code, label).toBe('authentication_error')
    }
    expect((await enroll('web', '')).status).toBe(401)
  })

  it('keeps enrolled servers when their enrollment token is deleted', async () => {
    const created = await createToken('web')
    const { server, server_token } = (await enroll('web', created.token, 'stays')).body
    expect(
      (await app.api('DELETE', `${tokens('web')}/${created.id}`, { token: admin })).status,
    ).toBe(204)
    expect((await app.api('GET', `${servers('web')}/${server.id}`, { token: admin })).status).toBe(
      200,
    )
    const beat = `${servers('web')}/${server.id}/heartbeat`
    expect((await app.api('POST', beat, { token: server_token })).status).toBe(204)
  })

  it('refuses an expired token (controllable clock) in the transaction, its one call', async () => {
    const created = await createToken('web', { expires_in_seconds: 60 })
    const { claimEnrollmentToken, enroll: enrollAt } = await import(
      '../../shared/domain/servers.js'
    )
    const caller = claimEnrollmentToken(created.token, { team: 'acme', project: 'web' })
    const later = new Date(Date.now() + 61_000)
    await expect(enrollAt(caller, { hostname: 'late' }, later)).rejects.toMatchObject({
      code: 'authentication_error',
    })
    expect((await enroll('web', created.token)).status).toBe(201) // still valid now
  })

  it.each([1, 5])(
    'never lets 50 concurrent enrollments exceed max_uses %i',
    async (maxUses) => {
      const created = await createToken('race', { max_uses: maxUses })
      const replies = await Promise.all(
        Array.from({ length: 50 }, (_, i) => enroll('race', created.token, `race-${i}`)),
      )
      const statuses = replies.map((r) => r.status)
      expect(statuses.filter((s) => s === 201)).toHaveLength(maxUses)
      expect(statuses.filter((s) => s === 401)).toHaveLength(50 - maxUses)
      const token = await app.api('GET', `${tokens('race')}/${created.id}`, { token: admin })
      expect(token.body.uses).toBe(maxUses)
      const listed = await app.api('GET', `${servers('race')}?count=1000`, { token: admin })
      const mine = listed.body.list.filter(
        (s: { enrollment_token_id: string }) => s.enrollment_token_id === created.id,
      )
      expect(mine).toHaveLength(maxUses)
    },
    60_000,
  )
})

describe('deleting a project', () => {
  it('revokes its servers and tokens at once; the stream then deletes them', async () => {
    await app.api('POST', base, { token: admin, body: { name: 'doomed' } })
    const made = await Promise.all(
      // More children than one transaction could delete with the project (100 items).
      Array.from({ length: 50 }, (_, i) => createToken('doomed', { description: `t${i}` })),
    )
    const agents = []
    for (const token of made.slice(0, 3)) agents.push((await enroll('doomed', token.token)).body)
    expect((await app.api('DELETE', `${base}/doomed`, { token: admin })).status).toBe(204)

    // Before any child is deleted: the project and its children are gone to every reader.
    expect((await app.api('GET', `${base}/doomed`, { token: admin })).status).toBe(404)
    expect((await app.api('GET', tokens('doomed'), { token: admin })).status).toBe(404)
    expect((await app.api('GET', servers('doomed'), { token: admin })).status).toBe(404)
    const one = `${tokens('doomed')}/${made[0]?.id}`
    expect((await app.api('GET', one, { token: admin })).status).toBe(404)
    expect((await app.api('DELETE', one, { token: admin })).status).toBe(404)
    const server = `${servers('doomed')}/${agents[0]?.server.id}`
    expect((await app.api('GET', server, { token: admin })).status).toBe(404)
    expect((await app.api('DELETE', server, { token: admin })).status).toBe(404)
    expect((await app.api('DELETE', `${base}/doomed`, { token: admin })).status).toBe(404)
    const listed = await app.api('GET', `${base}?count=1000`, { token: admin })
    expect(listed.body.list.map((p: { name: string }) => p.name)).not.toContain('doomed')
    for (const agent of agents) {
      const path = `${servers('doomed')}/${agent.server.id}`
      const beat = await app.api('POST', `${path}/heartbeat`, { token: agent.server_token })
      expect(beat.status).toBe(401)
      expect(beat.body.code).toBe('server_authorization_revoked')
      const rotated = await app.api('POST', `${path}/rotate_token`, { token: agent.server_token })
      expect(rotated.body.code).toBe('server_authorization_revoked')
    }
    // Another server's secret on a server of the deleted project is the plain 401.
    const { token: forged } = issueServerToken({
      team: 'acme',
      project: 'doomed',
      id: agents[0]?.server.id,
    })
    const forgedBeat = await app.api('POST', `${server}/heartbeat`, { token: forged })
    expect(forgedBeat.status).toBe(401)
    expect(forgedBeat.body.code).toBe('authentication_error')
    expect((await enroll('doomed', made[5]?.token)).status).toBe(401)
    // Made again at once (a Terraform replace): the create finishes the deletion itself,
    // then makes a new project, which never sees the old children.
    const fresh = await app.api('POST', base, { token: admin, body: { name: 'doomed' } })
    expect(fresh.status).toBe(201)
    const { QueryCommand } = await import('@aws-sdk/lib-dynamodb')
    const left = await app.db.send(
      new QueryCommand({
        TableName: app.tableName,
        KeyConditionExpression: 'PK = :pk',
        FilterExpression: 'kind <> :tombstone',
        ExpressionAttributeValues: { ':pk': 'TEAM#acme#PROJECT#doomed', ':tombstone': 'Tombstone' },
      }),
    )
    expect(left.Items).toEqual([])
    for (const agent of agents) {
      const beat = await app.api('POST', `${servers('doomed')}/${agent.server.id}/heartbeat`, {
        token: agent.server_token,
      })
      expect(beat.body.code).toBe('server_authorization_revoked')
    }
    expect((await app.api('GET', servers('doomed'), { token: admin })).body.list).toEqual([])
    expect((await app.api('GET', tokens('doomed'), { token: admin })).body.list).toEqual([])
    expect((await enroll('doomed', made[6]?.token)).status).toBe(401)
    const beat = await app.api('POST', `${server}/heartbeat`, { token: agents[0]?.server_token })
    expect(beat.body.code).toBe('server_authorization_revoked')
  })

  it("answers 404 to every write on a deleting project's children, as to a missing project", async () => {
    await app.api('POST', base, { token: admin, body: { name: 'closing' } })
    const made = await createToken('closing')
    const agent = (await enroll('closing', made.token)).body
    const account = (
      await app.api('POST', `${base}/closing/cloud_accounts`, {
        token: admin,
        body: { provider: 'aws', account_id: '444455556666' },
      })
    ).body
    expect(account.id).toEqual(expect.any(String))
    expect((await app.api('DELETE', `${base}/closing`, { token: admin })).status).toBe(204)
    // The children are all still stored (the stream has not run): each write must refuse.
    const one = `${tokens('closing')}/${made.id}`
    const accounts = `${base}/closing/cloud_accounts`
    const writes = [
      await app.api('POST', tokens('closing'), { token: admin, body: { description: 'x' } }),
      await app.api('DELETE', one, { token: admin }),
      await app.api('POST', `${one}/rotate`, { token: admin, body: { expireOldInSeconds: 60 } }),
      await app.api('POST', `${one}/rotate`, { token: admin }),
      await app.api('PUT', `${base}/closing`, { token: admin, body: { forward_traffic: true } }),
      await app.api('DELETE', `${servers('closing')}/${agent.server.id}`, { token: admin }),
      await app.api('POST', accounts, {
        token: admin,
        body: { provider: 'aws', account_id: '111122223333' },
      }),
      await app.api('DELETE', `${accounts}/${account.id}`, { token: admin }),
    ]
    for (const reply of writes) {
      expect(reply.status).toBe(404)
      expect(reply.body.code).toBe('resource_does_not_exist')
    }
    // The agent's side: its enrollment token and its server token no longer hold.
    expect((await enroll('closing', made.token, 'host-2')).status).toBe(401)
    const beat = await app.api('POST', `${servers('closing')}/${agent.server.id}/heartbeat`, {
      token: agent.server_token,
    })
    expect(beat.body.code).toBe('server_authorization_revoked')
    // Nothing was written meanwhile: the token keeps the value it had.
    const { GetCommand } = await import('@aws-sdk/lib-dynamodb')
    const { Item } = await app.db.send(
      new GetCommand({
        TableName: app.tableName,
        Key: { PK: 'TEAM#acme#PROJECT#closing', SK: `SET#${made.id}` },
        ConsistentRead: true,
      }),
    )
    expect(Item?.rotatedAt).toBeUndefined()
    expect(Item?.previousHash).toBeUndefined()
    const { cascadeProjectDelete } = await import('../support/project-delete.js')
    await cascadeProjectDelete('acme', 'closing')
  })

  it('takes over a deletion an older, interrupted DELETE left closed, when asked again', async () => {
    await app.api('POST', base, { token: admin, body: { name: 'halfway' } })
    await Promise.all(
      Array.from({ length: 4 }, (_, i) => createToken('halfway', { description: `t${i}` })),
    )
    // As if a DELETE before constant-time deletes closed the project and died.
    const { UpdateCommand, GetCommand } = await import('@aws-sdk/lib-dynamodb')
    const key = { PK: 'TEAM#acme', SK: 'PROJECT#halfway' }
    await app.db.send(
      new UpdateCommand({
        TableName: app.tableName,
        Key: key,
        UpdateExpression: 'SET deleting = :at',
        ExpressionAttributeValues: { ':at': new Date().toISOString() },
      }),
    )
    const late = await app.api('POST', tokens('halfway'), {
      token: admin,
      body: { description: 'x' },
    })
    expect(late.status).toBe(404)
    // The DELETE the older one never finished: taken over (its time kept), the cascade asked for.
    expect((await app.api('DELETE', `${base}/halfway`, { token: admin })).status).toBe(204)
    expect((await app.api('DELETE', `${base}/halfway`, { token: admin })).status).toBe(404)
    const { Item } = await app.db.send(
      new GetCommand({ TableName: app.tableName, Key: key, ConsistentRead: true }),
    )
    expect(Item?.deleteStep).toBe(1)
    expect(Item?.deletingBy).toBe('admin')
    const { cascadeProjectDelete } = await import('../support/project-delete.js')
    expect(await cascadeProjectDelete('acme', 'halfway')).toBe(1)
    const gone = await app.db.send(
      new GetCommand({ TableName: app.tableName, Key: key, ConsistentRead: true }),
    )
    expect(gone.Item).toBeUndefined()
  })
})
