import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { issuePersonalToken } from '../../shared/tokens/personal-token.js'
import { startTestApp } from '../support/app.js'
import { callsDuring } from '../support/calls.js'
import { type EventLog, startEventLog } from '../support/event-log.js'
import { expectNoFragmentOf } from '../support/secrets.js'

/**
 * Leak revocation in GitHub's secret-scanning partner format, over HTTP on DynamoDB
 * Local, with keys this file generates (offline): GitHub's key list is configured
 * as the deployment would (GITHUB_SECRET_SCANNING_KEYS), read at cold start.
 */
const pair = () => generateKeyPairSync('ec', { namedCurve: 'P-256' })
const github = pair()
const retired = pair()
const stranger = pair()
const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString()

let app: Awaited<ReturnType<typeof startTestApp>>
let log: EventLog

beforeAll(async () => {
  const GITHUB_SECRET_SCANNING_KEYS = JSON.stringify({
    public_keys: [
      { key_identifier: 'current-key', key: pem(github.publicKey), is_current: true },
      { key_identifier: 'old-key', key: pem(retired.publicKey), is_current: false },
    ],
  })
  app = await startTestApp('acme', undefined, { env: { GITHUB_SECRET_SCANNING_KEYS } })
  log = await startEventLog(app)
})
afterAll(async () => {
  await log?.stop()
  await app?.close()
})

const ROUTE = '/v1/secret-scanning/revoke'
const signed = (body: string, key = github.privateKey, id = 'current-key') => ({
  'github-public-key-identifier': id,
  'github-public-key-signature': sign('sha256', Buffer.from(body), key).toString('base64'),
  'content-type': 'application/json',
})
const report = (body: string, headers: Record<string, string>) =>
  app.api('POST', ROUTE, { rawBody: body, headers })
const hex = (token: string) => createHash('sha256').update(token).digest('hex')
const leak = (token: string, type = 'latchkey_personal_token') => ({
  token,
  type,
  url: 'https://github.com/acme/app/blob/abc/config.yml',
  source: 'content',
})

const works = async (token: string) =>
  (await app.api('GET', '/api/tokens', { token })).status === 200

describe('POST /v1/secret-scanning/revoke', () => {
  it('refuses unsigned, badly signed, tampered and unknown-key reports with the 401, revoking nothing', async () => {
    const victim = await app.addUser('acme', 'vic', 'member')
    const body = JSON.stringify([leak(victim)])
    const headers = signed(body)
    const attempts: Record<string, string>[] = [
      { 'content-type': 'application/json' },
      { ...headers, 'github-public-key-signature': '' },
      { ...headers, 'github-public-key-identifier': 'no-such-key' },
      signed(body, stranger.privateKey),
      signed(body, retired.privateKey), // a configured key, but not the one named
      { ...headers, 'github-public-key-signature': 'not base64!' },
    ]
    for (const attempt of attempts) {
      const reply = await report(body, attempt)
      expect(reply.status).toBe(401)
      expect(reply.body).toEqual({
        code: 'authentication_error',
        message: 'The credentials are missing, invalid, expired or revoked.',
        errors: [],
      })
    }
    // the signed bytes with one changed: a space more
    expect((await report(`${body} `, headers)).status).toBe(401)
    expect((await report(body.replace('content', 'commit'), headers)).status).toBe(401)
    expect(await works(victim)).toBe(true)
  })

  it('revokes each live token of ours (personal, server, enrollment, any team) and labels every one', async () => {
    const personal = await app.addUser('other', 'pia', 'admin')
    const project = '/v1/teams/other/projects/leaky'
    await app.api('POST', '/v1/teams/other/projects', { token: personal, body: { name: 'leaky' } })
    const enrollment = await app.api('POST', `${project}/server_enrollment_tokens`, {
      token: personal,
      body: { description: 'fleet' },
    })
    const enrolled = await app.api('POST', `${project}/servers`, {
      token: enrollment.body.token,
      body: { hostname: 'h1' },
    })
    const serverToken = enrolled.body.server_token as string
    const spare = await app.api('POST', '/api/tokens', {
      token: personal,
      body: { name: 'spare' },
    })
    const forged = issuePersonalToken({ team: 'other', username: 'pia', id: 1 }).token
    const reports = [
      leak(personal),
      leak(serverToken, 'latchkey_server_token'),
      leak(enrollment.body.token, 'latchkey_enrollment_token'),
      leak(forged), // well-formed, wrong secret
      leak('lk_garbage_but_not_ours'),
      leak('ghp_someone_elses_token', 'github_token'),
      leak(personal), // reported twice
    ]
    const body = JSON.stringify(reports)
    const reply = await report(body, signed(body))
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual([
      { token_hash: hex(personal), token_type: 'latchkey_personal_token', label: 'true_positive' },
      { token_hash: hex(serverToken), token_type: 'latchkey_server_token', label: 'true_positive' },
      {
        token_hash: hex(enrollment.body.token),
        token_type: 'latchkey_enrollment_token',
        label: 'true_positive',
      },
      { token_hash: hex(forged), token_type: 'latchkey_personal_token', label: 'false_positive' },
      {
        token_hash: hex('lk_garbage_but_not_ours'),
        token_type: 'latchkey_personal_token',
        label: 'false_positive',
      },
      {
        token_hash: hex('ghp_someone_elses_token'),
        token_type: 'github_token',
        label: 'false_positive',
      },
      // reported twice: revoked once, labelled alike (the two writes raced before)
      { token_hash: hex(personal), token_type: 'latchkey_personal_token', label: 'true_positive' },
    ])
    // Revoked once, by the first report of it (its url is the one recorded below).
    expect(await works(personal)).toBe(false)
    expect(await works(spare.body.accessKey)).toBe(true) // only what leaked
    const verified = await app.api('POST', '/v1/teams/other/tokens/verify', {
      token: spare.body.accessKey,
      body: { token: personal },
    })
    expect(verified.body).toEqual({ valid: false, code: 'REVOKED' })
    const beat = await app.api('POST', `${project}/servers/${enrolled.body.server.id}/heartbeat`, {
      token: serverToken,
    })
    expect(beat.body.code).toBe('server_authorization_revoked')
    const again = await app.api('POST', `${project}/servers`, {
      token: enrollment.body.token,
      body: { hostname: 'h2' },
    })
    expect(again.status).toBe(401)
    // The leaked personal token stays listed for its owner to see, and can't be rotated.
    const listed = await app.api('GET', '/api/tokens', { token: spare.body.accessKey })
    expect(listed.body.tokens.map((t: { name: string }) => t.name)).toContain('first')
    const rotate = await app.api('POST', '/api/tokens/1/rotate', { token: spare.body.accessKey })
    expect(rotate.status).toBe(404)
    // Reported again: nothing left to revoke.
    const twice = await report(body, signed(body))
    expect(twice.body.every((f: { label: string }) => f.label === 'false_positive')).toBe(true)

    const seen = async () => {
      for (let i = 0; i < 100; i++) {
        const text = await log.text()
        const leaked = text
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line))
          .filter((event) => event['detail-type'] === 'AccessTokenLeaked')
        if (leaked.length >= 3) return { text, leaked }
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      throw new Error('no AccessTokenLeaked events')
    }
    const { text, leaked } = await seen()
    const where = { url: reports[0]?.url, source: 'content', actor: 'secret-scanning' }
    expect(leaked.map((event) => event.detail)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ ...where, team: 'other', token_type: 'personal', user: 'pia' }),
        expect.objectContaining({ ...where, team: 'other', token_type: 'server' }),
        expect.objectContaining({ ...where, team: 'other', token_type: 'enrollment' }),
      ]),
    )
    expectNoFragmentOf(text, [personal.slice(-49), serverToken.slice(-49), enrollment.body.token])
  })

  it('answers 400 for a body that is not a report, once the signature is good', async () => {
    for (const body of ['{"token": "x"}', '[]', '[{"type": "x"}]', 'not json']) {
      const reply = await report(body, signed(body))
      expect(reply.status).toBe(400)
      expect(reply.body.code).toBe('invalid_request')
    }
  })

  // Its speed is the bench's to prove; what keeps 1,000 tokens inside the 10 s timeout on
  // any machine is the work: garbage costs no call, the tokens of ours are read 100 a
  // call, and only a live one is written (one conditional write each).
  it('answers a 1,000-token batch with one read per 100 tokens of ours and one write per live one', async () => {
    const user = await app.addUser('bulk', 'bob', 'admin')
    const live: string[] = []
    for (let i = 0; i < 100; i++) {
      const made = await app.api('POST', '/api/tokens', { token: user, body: { name: `t${i}` } })
      live.push(made.body.accessKey)
    }
    // 100 live tokens, 400 well-formed unknown ones (each read), 500 garbage (no I/O)
    const unknown = Array.from(
      { length: 400 },
      (_, i) => issuePersonalToken({ team: 'bulk', username: 'bob', id: 5000 + i }).token,
    )
    const garbage = Array.from({ length: 500 }, (_, i) => `lk_${'x'.repeat(40)}_${i}`)
    const body = JSON.stringify([...live, ...unknown, ...garbage].map((token) => leak(token)))
    let reply: Awaited<ReturnType<typeof report>> | undefined
    const calls = await callsDuring(app, async () => {
      reply = await report(body, signed(body))
    })
    expect(reply?.status).toBe(200)
    expect(reply?.body).toHaveLength(1000)
    expect(reply?.body.filter((f: { label: string }) => f.label === 'true_positive')).toHaveLength(
      100,
    )
    // 500 token keys and bob's one revocation mark: 6 BatchGetItems of at most 100 keys.
    expect(calls).toEqual({ BatchGetItemCommand: 6, UpdateItemCommand: 100 })
  }, 60_000)
})
