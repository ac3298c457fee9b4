import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { retryWindow } from '../../shared/errors.js'
import { enrollFleet, expectOldAgentsShutOut } from '../support/agents.js'
import { startTestApp } from '../support/app.js'
import { contractViolation } from '../support/contract.js'
import { expectRetryHeaders } from '../support/retry-headers.js'

/**
 * Okta ASA's two public Terraform providers, replayed request by request against the
 * local server: the same methods, paths, headers and bodies their Go code sends, and
 * their handling of each answer (status codes they accept, the fields they read, as
 * Go's encoding/json would decode them into their structs). Sources, by file:
 *
 * oktadev/terraform-provider-oktaasa
 *   - oktaasa/config.go: GetToken (service token; `Content-Type: Application/json`)
 *   - oktaasa/common.go: SendGet/SendPost/SendPut/SendDelete (every request carries
 *     `Accept: application/json` and `Content-Type: Application/json`, GET and DELETE
 *     included, DELETE with an empty body), checkSoftDelete (`deleted_at`/`removed_at`)
 *   - oktaasa/resource_oktaasa_project.go: create (a map body, so Go sorts its keys;
 *     201 expected), read (200 + not soft-deleted, or 404 = gone), update (PUT, exactly
 *     204), delete (< 300 or 400 accepted); a later version of the same file sends the
 *     whole Project struct (booleans always, ints and names when set)
 *   - oktaasa/resource_oktaasa_enrollment_token.go: create (> 400 is an error; reads
 *     `id` and `token`), read (200, or 404 = gone), delete (< 300 or 404)
 *
 * okta/terraform-provider-oktapam
 *   - oktapam/client/okta_pam_client.go: createServiceToken (200; `team_name` must
 *     equal the team, `expires_at` decodes as time.Time), setBaseHTTPSettings (every
 *     request: Bearer, `Content-Type: application/json`, `Accept`, User-Agent),
 *     setRateLimitRetryLogic (every 429 retried, after the wait X-RateLimit-Retry-At
 *     names; ported below with resty's clamp of it)
 *   - oktapam/client/project.go: CreateProject (Project struct, omitempty pointers;
 *     exactly 201), GetProject (200 with Exists() = non-empty `id` and blank
 *     `deleted_at`, or 404 = nil), UpdateProject (map of changed attributes; exactly
 *     204), DeleteProject (204 or 404), ListProjects (`?contains=`/`self=` set again
 *     on every request, so added to each `Link: rel="next"` URL; follows Link)
 *   - oktapam/resource_project.go: d.SetId(*proj.ID) after a read; updates send only
 *     changed attributes among next_unix_gid/uid, create_server_users,
 *     forward_traffic, rdp/ssh_session_recording, require_preauth_for_creds,
 *     gateway_selector
 *   - oktapam/data_source_projects.go: ListProjects with `contains` and `self`
 *   - oktapam/client/server_enrollment_token.go: Create (exactly 201), Get (exactly
 *     200), List (200 or 404, follows Link), Delete (204 or 404)
 *   - oktapam/resource_server_enrollment_token.go: a token with a blank `id` is gone
 *
 * A replace (destroy, then create under the same name in one apply) is replayed for
 * both, over a project with 120 enrolled servers: the project's create lands while its
 * deletion is still under way (no stream consumer runs here) and must be 201 all the
 * same (oktapam retries a 429 after 5-10 s; oktaasa takes anything but 201 as the
 * project gone).
 */

let app: Awaited<ReturnType<typeof startTestApp>>
let keyId: string

beforeAll(async () => {
  app = await startTestApp('tf')
  const tokens = await app.api('GET', '/api/tokens', { token: app.admin.token })
  keyId = String(tokens.body.tokens[0].id)
})
afterAll(() => app?.close())

/** Servers enrolled in a project before a replace: more than one transaction could delete. */
const FLEET = 120

type GoType = 'string' | 'int' | 'bool' | 'time'

/**
 * Decodes a JSON object into a Go struct's fields as encoding/json does: `null` or an
 * absent key leaves the zero value (undefined here); a value of the wrong JSON type
 * is an error (thrown), a fraction into an int too. Unknown keys are ignored.
 */
function goDecode(value: unknown, fields: Record<string, GoType>) {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`json: cannot unmarshal ${JSON.stringify(value)} into a struct`)
  const out: Record<string, string | number | boolean | undefined> = {}
  for (const [name, type] of Object.entries(fields)) {
    const field = (value as Record<string, unknown>)[name]
    if (field === undefined || field === null) continue
    const ok =
      (type === 'string' && typeof field === 'string') ||
      (type === 'int' && Number.isInteger(field)) ||
      (type === 'bool' && typeof field === 'boolean') ||
      (type === 'time' &&
        typeof field === 'string' &&
        /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(field))
    if (!ok)
      throw new Error(`json: cannot unmarshal ${JSON.stringify(field)} into Go ${type} ${name}`)
    out[name] = field as string | number | boolean
  }
  return out
}

const isBlank = (value: unknown) => value === undefined || value === ''

/** tomnomnom/linkheader: the URL of the link whose rel is "next", if any. */
function nextLink(header: string | null): string | undefined {
  for (const part of (header ?? '').split(',')) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part)
    if (match && /;\s*rel="?next"?/.test(match[2] ?? '')) return match[1]
  }
  return undefined
}

interface Sent {
  status: number
  headers: Headers
  text: string
  json: () => unknown
}

/** One request as the provider sends it; its answer checked against the route's row too. */
async function send(
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Sent> {
  const response = await fetch(url, { method, headers, body })
  const text = await response.text()
  const violation = contractViolation({
    method,
    path: new URL(url).pathname,
    status: response.status,
    headers: response.headers,
    body: text ? JSON.parse(text) : undefined,
    text,
  })
  if (violation) throw new Error(`Contract broken: ${violation}`)
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) }
}

/**
 * okta/terraform-provider-oktapam, oktapam/client/okta_pam_client.go,
 * setRateLimitRetryLogic's SetRetryAfter callback, line for line: the wait before
 * retrying a 429, in ms. It reads X-RateLimit-Retry-At only (never Retry-After): absent,
 * 5-10 s at random; otherwise strconv.ParseInt of it (an error ends the retries), as
 * unix seconds, minus now, plus 100-3000 ms of jitter. `random(n)` is Go's rand.Intn(n).
 */
function oktapamRetryAfter(headers: Headers, now: number, random: (n: number) => number) {
  const retryAtHeader = headers.get('X-RateLimit-Retry-At') ?? ''
  if (retryAtHeader === '') return 5000 + random(5000)
  if (!/^[+-]?[0-9]+$/.test(retryAtHeader))
    return new Error(`strconv.ParseInt: parsing "${retryAtHeader}": invalid syntax`)
  const diff = Number(retryAtHeader) * 1000 - now
  return diff + random(2900) + 100
}

/** The provider's resty settings: RetryWaitTime (resty's default) and SetRetryMaxWaitTime(24 h). */
const RESTY_MIN_WAIT = 100
const RESTY_MAX_WAIT = 24 * 3600_000

/**
 * go-resty/resty v2 retry.go sleepDuration: the callback's wait, clamped. An error
 * stops the retries (the request fails with it); a negative wait (a moment already
 * past by more than the jitter) becomes the maximum, 24 hours; below 100 ms, 100 ms.
 */
function restySleepDuration(result: number | Error): number | Error {
  if (result instanceof Error) return result
  if (result < 0 || RESTY_MAX_WAIT < result) return RESTY_MAX_WAIT
  return Math.max(result, RESTY_MIN_WAIT)
}

/**
 * resty's Backoff loop with the provider's one retry condition (status 429) and its
 * 2147483647 retries: sends until the answer is not a 429, sleeping (for real) what
 * the two functions above say. Bounded here so a hot loop fails the test instead.
 */
async function withOktapamRetries(request: () => Promise<Sent>, random: (n: number) => number) {
  const waits: number[] = []
  const sentAt: number[] = []
  for (let attempt = 0; attempt < 5; attempt++) {
    sentAt.push(Date.now())
    const reply = await request()
    if (reply.status !== 429) return { reply, waits, sentAt }
    const wait = restySleepDuration(oktapamRetryAfter(reply.headers, Date.now(), random))
    if (wait instanceof Error) throw wait
    waits.push(wait)
    await new Promise((resolve) => setTimeout(resolve, wait))
  }
  throw new Error(`still 429 after 5 attempts, waiting ${waits.join(', ')} ms`)
}

/** oktadev/terraform-provider-oktaasa: resty with these headers on every call (common.go). */
function oktaasaClient(bearer: string) {
  const headers = {
    Accept: 'application/json',
    'Content-Type': 'Application/json',
    Authorization: `Bearer ${bearer}`,
  }
  const base = `${app.url}/v1`
  return {
    get: (path: string) => send('GET', base + path, headers),
    post: (path: string, body: string) => send('POST', base + path, headers, body),
    put: (path: string, body: string) => send('PUT', base + path, headers, body),
    // SendDelete passes make([]byte, 0): an empty body, still typed Application/json.
    delete: (path: string) => send('DELETE', base + path, headers, ''),
  }
}

/** okta/terraform-provider-oktapam: resty with a base URL and these headers (okta_pam_client.go). */
function oktapamClient(bearer: string) {
  const headers = {
    Authorization: `Bearer ${bearer}`,
    'Content-Type': 'application/json',
    Accept: 'application/json',
    'User-Agent': 'terraform_provider_oktapam/0.0.0-test',
  }
  /** resty: a relative URL joins the base; request query params are appended after any in it. */
  const url = (path: string, query: Record<string, string> = {}) => {
    const target = new URL(path.startsWith('http') ? path : app.url + path)
    const extra = new URLSearchParams(Object.entries(query).sort(([a], [b]) => a.localeCompare(b)))
    const added = extra.toString()
    if (added) target.search = target.search ? `${target.search.slice(1)}&${added}` : added
    return target.toString()
  }
  return {
    get: (path: string, query?: Record<string, string>) => send('GET', url(path, query), headers),
    post: (path: string, body: unknown) => send('POST', url(path), headers, JSON.stringify(body)),
    put: (path: string, body: unknown) => send('PUT', url(path), headers, JSON.stringify(body)),
    delete: (path: string) => send('DELETE', url(path), headers),
  }
}

/** The Project struct of oktaasa/resource_oktaasa_project.go (the later version). */
const OKTAASA_PROJECT: Record<string, GoType> = {
  name: 'string',
  deleted_at: 'string',
  create_server_users: 'bool',
  force_shared_ssh_users: 'bool',
  forward_traffic: 'bool',
  next_unix_uid: 'int',
  next_unix_gid: 'int',
  rdp_session_recording: 'bool',
  require_preauth_for_creds: 'bool',
  shared_admin_user_name: 'string',
  shared_standard_user_name: 'string',
  ssh_session_recording: 'bool',
}

/** The Project struct of oktapam/client/project.go. */
const OKTAPAM_PROJECT: Record<string, GoType> = {
  name: 'string',
  id: 'string',
  team: 'string',
  deleted_at: 'string',
  next_unix_gid: 'int',
  next_unix_uid: 'int',
  create_server_users: 'bool',
  forward_traffic: 'bool',
  rdp_session_recording: 'bool',
  require_preauth_for_creds: 'bool',
  ssh_session_recording: 'bool',
  gateway_selector: 'string',
  ssh_certificate_type: 'string',
  user_on_demand_period: 'int',
}

/** The ServerEnrollmentToken struct of oktapam/client/server_enrollment_token.go. */
const OKTAPAM_TOKEN: Record<string, GoType> = {
  description: 'string',
  token: 'string',
  id: 'string',
  created_by_user: 'string',
  issued_at: 'string',
}

describe('oktadev/terraform-provider-oktaasa', () => {
  let asa: ReturnType<typeof oktaasaClient>

  beforeAll(async () => {
    // config.go GetToken: a map body (resty marshals it), Application/json.
    const reply = await send(
      'POST',
      `${app.url}/v1/teams/tf/service_token`,
      { Accept: 'application/json', 'Content-Type': 'Application/json' },
      JSON.stringify({ key_id: keyId, key_secret: app.admin.token }),
    )
    expect(reply.status).toBe(200)
    const bearer = goDecode(reply.json(), { bearer_token: 'string' }).bearer_token
    expect(bearer).toEqual(expect.any(String))
    asa = oktaasaClient(String(bearer))
  })

  /** resourceOKTAASAProjectRead: 200 and not soft-deleted = exists; 404 = gone; else an error. */
  async function read(name: string) {
    const reply = await asa.get(`/teams/tf/projects/${name}`)
    if (reply.status === 404) return undefined
    expect(reply.status).toBe(200)
    const soft = goDecode(reply.json(), {
      name: 'string',
      deleted_at: 'string',
      removed_at: 'string',
    })
    expect(isBlank(soft.deleted_at) && isBlank(soft.removed_at)).toBe(true)
    return goDecode(reply.json(), OKTAASA_PROJECT)
  }

  it('creates, reads, updates and deletes oktaasa_project (first version)', async () => {
    // json.Marshal of a map[string]interface{}: keys in sorted order.
    const body = (requirePreauth: boolean) =>
      `{"create_server_users":true,"name":"asa-p1","next_unix_gid":63001,"next_unix_uid":60101,"require_preauth_for_creds":${requirePreauth}}`
    const created = await asa.post('/teams/tf/projects', body(false))
    expect(created.status).toBe(201)
    const state = await read('asa-p1')
    expect(state).toMatchObject({ name: 'asa-p1', require_preauth_for_creds: false })

    const updated = await asa.put('/teams/tf/projects/asa-p1', body(true))
    expect(updated.status).toBe(204) // anything else is an error to this provider
    expect(await read('asa-p1')).toMatchObject({
      require_preauth_for_creds: true,
      create_server_users: true,
      next_unix_uid: 60101,
      next_unix_gid: 63001,
    })

    const deleted = await asa.delete('/teams/tf/projects/asa-p1')
    expect(deleted.status).toBe(204)
    expect(await read('asa-p1')).toBeUndefined() // 404: removed from state
  })

  it('creates and updates oktaasa_project with the whole struct (later version)', async () => {
    // json.Marshal(&Project{...}): field order; omitempty drops zero ints and empty names.
    const create =
      '{"name":"asa-p2","create_server_users":false,"force_shared_ssh_users":false,"forward_traffic":false,"rdp_session_recording":false,"require_preauth_for_creds":false,"ssh_session_recording":false}'
    expect((await asa.post('/teams/tf/projects', create)).status).toBe(201)
    const update =
      '{"name":"asa-p2","create_server_users":true,"force_shared_ssh_users":true,"forward_traffic":false,"next_unix_uid":61000,"rdp_session_recording":false,"require_preauth_for_creds":true,"shared_admin_user_name":"sudoer","shared_standard_user_name":"plain","ssh_session_recording":true}'
    expect((await asa.put('/teams/tf/projects/asa-p2', update)).status).toBe(204)
    expect(await read('asa-p2')).toEqual({
      name: 'asa-p2',
      create_server_users: true,
      force_shared_ssh_users: true,
      forward_traffic: false,
      next_unix_uid: 61000,
      next_unix_gid: 63001,
      rdp_session_recording: false,
      require_preauth_for_creds: true,
      shared_admin_user_name: 'sudoer',
      shared_standard_user_name: 'plain',
      ssh_session_recording: true,
    })
    expect((await asa.delete('/teams/tf/projects/asa-p2')).status).toBe(204)
  })

  it('creates, reads and deletes oktaasa_enrollment_token', async () => {
    expect((await asa.post('/teams/tf/projects', '{"name":"asa-fleet"}')).status).toBe(201)
    const path = '/teams/tf/projects/asa-fleet/server_enrollment_tokens'
    const created = await asa.post(path, '{"description":"web servers"}')
    expect(created.status).toBeLessThanOrEqual(400)
    const { id, token } = goDecode(created.json(), { id: 'string', token: 'string' })
    expect(id).toEqual(expect.any(String)) // d.SetId(enrollmentToken.Id)
    expect(token).toEqual(expect.any(String))

    const fetched = await asa.get(`${path}/${id}`)
    expect(fetched.status).toBe(200)
    expect(goDecode(fetched.json(), { id: 'string', token: 'string' }).token).toBe(token)

    const deleted = await asa.delete(`${path}/${id}`)
    expect(deleted.status).toBe(204)
    expect((await asa.get(`${path}/${id}`)).status).toBe(404) // removed from state
    expect((await asa.delete(`${path}/${id}`)).status).toBe(404) // a second delete is fine too
  })

  it('replaces oktaasa_project with its enrollment token in one apply (destroy, then create the same name)', async () => {
    const project =
      '{"name":"asa-replace","create_server_users":true,"next_unix_gid":63001,"next_unix_uid":60101,"require_preauth_for_creds":true}'
    expect((await asa.post('/teams/tf/projects', project)).status).toBe(201)
    const path = '/teams/tf/projects/asa-replace/server_enrollment_tokens'
    const old = goDecode((await asa.post(path, '{"description":"web servers"}')).json(), {
      id: 'string',
      token: 'string',
    })
    // 120 servers: more children than one transaction could delete with the project.
    const agents = await enrollFleet(
      app.api,
      '/v1/teams/tf/projects/asa-replace',
      String(old.token),
      FLEET,
    )

    // The apply: the token (which depends on the project) destroyed, then the project,
    // then both created again. Each create must be 201: on anything else this provider
    // only logs, then reads the project, and the 404 of one still being deleted drops
    // it from the state (d.SetId("")): the apply "succeeds" without the project.
    expect((await asa.delete(`${path}/${old.id}`)).status).toBe(204)
    expect((await asa.delete('/teams/tf/projects/asa-replace')).status).toBe(204)
    const again =
      '{"name":"asa-replace","create_server_users":true,"next_unix_gid":63001,"next_unix_uid":60101,"require_preauth_for_creds":false}'
    expect((await asa.post('/teams/tf/projects', again)).status).toBe(201)
    expect(await read('asa-replace')).toMatchObject({ require_preauth_for_creds: false })
    const made = await asa.post(path, '{"description":"web servers"}')
    expect(made.status).toBe(201)
    const fresh = goDecode(made.json(), { id: 'string', token: 'string' })
    expect(fresh.id).not.toBe(old.id)
    expect((await asa.get(`${path}/${old.id}`)).status).toBe(404)

    await expectOldAgentsShutOut(app.api, '/v1/teams/tf/projects/asa-replace', {
      enrollmentToken: String(old.token),
      agents,
    })
    const servers = await app.api('GET', '/v1/teams/tf/projects/asa-replace/servers', {
      token: app.admin.token,
    })
    expect(servers.body.list).toEqual([])
  }, 60_000)
})

describe('okta/terraform-provider-oktapam', () => {
  let pam: ReturnType<typeof oktapamClient>

  beforeAll(async () => {
    // createServiceToken: 200, team_name equal to the team, expires_at a time.Time.
    const reply = await send(
      'POST',
      `${app.url}/v1/teams/tf/service_token`,
      {
        'User-Agent': 'terraform_provider_oktapam/0.0.0-test',
        Accept: 'application/json',
        'Content-Type': 'application/json',
      },
      JSON.stringify({ key_id: keyId, key_secret: app.admin.token }),
    )
    expect(reply.status).toBe(200)
    const token = goDecode(reply.json(), {
      team_name: 'string',
      bearer_token: 'string',
      expires_at: 'time',
    })
    expect(String(token.team_name).toLowerCase()).toBe('tf')
    pam = oktapamClient(String(token.bearer_token))
  })

  /** GetProject, then resourceProjectReadWithIgnorable: nil unless Exists(). */
  async function getProject(name: string) {
    const reply = await pam.get(`/v1/teams/tf/projects/${name}`)
    if (reply.status === 404) return undefined
    expect(reply.status).toBe(200)
    const project = goDecode(reply.json(), OKTAPAM_PROJECT)
    const exists = !isBlank(project.id) && isBlank(project.deleted_at)
    return exists ? project : undefined
  }

  /** ListProjects: the same query params on every request, Link followed until none. */
  /**
   * ListProjects (client/project.go), loop for loop: it stops only on an absent or empty
   * `Link`; any other `Link` is parsed for rel="next", and without one the URL becomes
   * "", which resty sends to the base URL itself (the host's `/`, with the query).
   */
  async function listProjects(parameters: Record<string, string>) {
    const names: string[] = []
    let url = '/v1/teams/tf/projects'
    let requests = 0
    for (;;) {
      // A Link without rel="next" would send the provider to the host's root: on the
      // API's own host a 404 (the data source fails), behind the console's an HTML page.
      expect(url, 'ListProjects sent to the base URL by a Link without rel="next"').not.toBe('')
      const reply = await pam.get(url, parameters)
      requests++
      expect(reply.status).toBe(200) // checkStatusCode(resp, http.StatusOK)
      const page = reply.json() as { list: unknown[] }
      expect(Array.isArray(page.list)).toBe(true)
      for (const item of page.list) names.push(String(goDecode(item, OKTAPAM_PROJECT).name))
      const link = reply.headers.get('link') ?? ''
      if (link === '') break
      url = nextLink(link) ?? ''
    }
    return { names, requests }
  }

  it('creates, reads, updates and deletes oktapam_project', async () => {
    // The body: json.Marshal(client.Project{...}) in struct order, nil pointers omitted.
    const created = await pam.post('/v1/teams/tf/projects', {
      name: 'pam-p1',
      next_unix_gid: 63001,
      next_unix_uid: 60001,
      create_server_users: true,
      ssh_certificate_type: 'CERT_TYPE_ED25519_01',
    })
    expect(created.status).toBe(201)
    const state = await getProject('pam-p1')
    expect(state?.id).toMatch(/^[0-9a-f-]{36}$/) // d.SetId(*proj.ID)
    expect(state).toMatchObject({
      name: 'pam-p1',
      team: 'tf',
      create_server_users: true,
      ssh_certificate_type: 'CERT_TYPE_ED25519_01',
      next_unix_uid: 60001,
    })

    // resourceProjectUpdate: only the changed attributes, as d.Get returns them.
    const updated = await pam.put('/v1/teams/tf/projects/pam-p1', {
      forward_traffic: true,
      gateway_selector: 'env=prod',
      next_unix_gid: 63100,
      rdp_session_recording: true,
    })
    expect(updated.status).toBe(204)
    const after = await getProject('pam-p1')
    expect(after).toMatchObject({
      id: state?.id, // stable across updates
      forward_traffic: true,
      gateway_selector: 'env=prod',
      next_unix_gid: 63100,
      rdp_session_recording: true,
      create_server_users: true,
    })
    // Removing gateway_selector from the config: d.Get gives "".
    expect((await pam.put('/v1/teams/tf/projects/pam-p1', { gateway_selector: '' })).status).toBe(
      204,
    )
    expect((await getProject('pam-p1'))?.gateway_selector).toBeUndefined()

    expect((await pam.delete('/v1/teams/tf/projects/pam-p1')).status).toBe(204)
    expect(await getProject('pam-p1')).toBeUndefined()
    expect((await pam.delete('/v1/teams/tf/projects/pam-p1')).status).toBe(404) // accepted
  })

  it('waits out a 429 until X-RateLimit-Retry-At, then succeeds: no blind 5-10 s, no hot loop', async () => {
    // oktapam's own bearer is a service token, which no rate limit counts: the 429 it
    // meets is CreateProject over a name whose deletion outlasts the create's budget
    // (shared/domain/projects.ts; unit-tested, as it takes thousands of children), sent
    // through the same errorHeaders. A rate-limited personal token gives a 429 on demand.
    const made = await app.api('POST', '/api/tokens', {
      token: app.admin.token,
      body: { name: 'pam-limited', rateLimit: { limit: 1, windowSeconds: 3 } },
    })
    const limited = oktapamClient(String(made.body.accessKey))
    const list = () => limited.get('/v1/teams/tf/projects', { contains: 'pam-none' })
    const refused: Sent[] = []
    const recording = async () => {
      const reply = await list()
      if (reply.status === 429) refused.push(reply)
      return reply
    }
    // The window's one request, then the provider's: refused, waited out, sent again.
    // (Should the 3 s window turn between the two, the provider's first is let through:
    // it goes again, now surely within one window.)
    expect((await list()).status).toBe(200)
    let run = await withOktapamRetries(recording, () => 0)
    if (run.waits.length === 0) run = await withOktapamRetries(recording, () => 0)

    expect(run.reply.status).toBe(200)
    expect(run.waits).toHaveLength(1) // one wait, long enough: the retry was not refused again
    const [first] = refused
    const retryAt = Number(first?.headers.get('x-ratelimit-retry-at'))
    // Sent again at the moment named (the window's end), not before and not 5-10 s later.
    expect(run.sentAt[1]).toBeGreaterThanOrEqual(retryAt * 1000)
    expect(run.waits[0]).toBeLessThanOrEqual(3000 + 1000 + 100)
    expect(retryAt).toBeGreaterThanOrEqual(Number(first?.headers.get('x-ratelimit-reset')))
    expectRetryHeaders(first?.headers ?? new Headers(), run.sentAt[0] ?? 0, run.sentAt[1] ?? 0)
    // Without the header the provider would have waited 5-10 s whatever the window.
    const without = new Headers(first?.headers)
    without.delete('x-ratelimit-retry-at')
    expect(oktapamRetryAfter(without, Date.now(), () => 0)).toBe(5000)
  }, 30_000)

  it("takes our retry moment well, where a moment just past or not an integer would not (resty's clamp)", () => {
    const zero = () => 0
    const now = Date.parse('2026-11-26T10:00:59.900Z')
    const reset = Date.parse('2026-11-26T10:01:00.000Z') / 1000
    const headers = (retryAt: string) => new Headers({ 'X-RateLimit-Retry-At': retryAt })
    const waitFor = (retryAt: string, clientNow: number) =>
      restySleepDuration(oktapamRetryAfter(headers(retryAt), clientNow, zero))
    // 100 ms before the window's end we name a second later (retryWindow): a client
    // clock 900 ms ahead of ours still waits a moment, and then finds a new window.
    const ours = String(retryWindow(reset * 1000, now).retryAt)
    expect(ours).toBe(String(reset + 1))
    expect(waitFor(ours, now + 900)).toBe(200 + 100) // to the moment, plus the least jitter
    // Naming the window's end itself, that client would wait resty's maximum: 24 hours.
    expect(waitFor(String(reset), now + 900)).toBe(RESTY_MAX_WAIT)
    // Fractions or an HTTP date fail strconv.ParseInt: the apply stops with the 429.
    expect(waitFor(`${reset}.5`, now)).toBeInstanceOf(Error)
    expect(waitFor('Thu, 26 Nov 2026 10:01:00 GMT', now)).toBeInstanceOf(Error)
  })

  it('lists oktapam_projects with contains (and self), across Link pages', async () => {
    // More than a default page (100) of matches, so the provider follows Link.
    const names = Array.from({ length: 103 }, (_, i) => `pam-list-${String(i).padStart(3, '0')}`)
    for (const name of [...names, 'other-a', 'other-b'])
      expect((await pam.post('/v1/teams/tf/projects', { name })).status).toBe(201)

    const filtered = await listProjects({ contains: 'pam-list' })
    expect(filtered.names).toEqual(names)
    expect(filtered.requests).toBe(2)

    const self = await listProjects({ contains: 'pam-list', self: 'true' })
    expect(self.names).toEqual(names)

    const everything = await listProjects({})
    expect(everything.names).toEqual(expect.arrayContaining([...names, 'other-a', 'other-b']))
  })

  it('creates, reads, lists and deletes oktapam_server_enrollment_token', async () => {
    expect((await pam.post('/v1/teams/tf/projects', { name: 'pam-fleet' })).status).toBe(201)
    const path = '/v1/teams/tf/projects/pam-fleet/server_enrollment_tokens'
    const created = await pam.post(path, { description: 'web servers' })
    expect(created.status).toBe(201)
    const token = goDecode(created.json(), OKTAPAM_TOKEN)
    expect(token).toEqual({
      description: 'web servers',
      token: expect.any(String),
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      created_by_user: 'admin',
      issued_at: expect.any(String),
    })

    const fetched = await pam.get(`${path}/${token.id}`)
    expect(fetched.status).toBe(200)
    expect(goDecode(fetched.json(), OKTAPAM_TOKEN)).toEqual(token)

    const listed = await pam.get(path)
    expect(listed.status).toBe(200)
    const list = (listed.json() as { list: unknown[] }).list.map((t) => goDecode(t, OKTAPAM_TOKEN))
    expect(list.map((t) => t.id)).toEqual([token.id])
    expect(nextLink(listed.headers.get('link'))).toBeUndefined()

    expect((await pam.delete(`${path}/${token.id}`)).status).toBe(204)
    expect((await pam.delete(`${path}/${token.id}`)).status).toBe(404) // accepted
    // GetServerEnrollmentToken accepts only 200: a deleted token is an error to it, not state.
    expect((await pam.get(`${path}/${token.id}`)).status).toBe(404)
    // ListServerEnrollmentTokens treats a 404 (no such project) as an empty list.
    expect((await pam.get('/v1/teams/tf/projects/no-such/server_enrollment_tokens')).status).toBe(
      404,
    )
  })

  it('replaces oktapam_project with its token in one apply (destroy, then create the same name)', async () => {
    const created = await pam.post('/v1/teams/tf/projects', {
      name: 'pam-replace',
      create_server_users: true,
      forward_traffic: true,
    })
    expect(created.status).toBe(201)
    const first = await getProject('pam-replace')
    const path = '/v1/teams/tf/projects/pam-replace/server_enrollment_tokens'
    const old = goDecode((await pam.post(path, { description: 'fleet' })).json(), OKTAPAM_TOKEN)
    const agents = await enrollFleet(
      app.api,
      '/v1/teams/tf/projects/pam-replace',
      String(old.token),
      FLEET,
    )

    // The apply: DeleteServerEnrollmentToken (204 or 404), DeleteProject (204 or 404),
    // then CreateProject (exactly 201) and CreateServerEnrollmentToken (exactly 201).
    expect((await pam.delete(`${path}/${old.id}`)).status).toBe(204)
    expect((await pam.delete('/v1/teams/tf/projects/pam-replace')).status).toBe(204)
    const again = await pam.post('/v1/teams/tf/projects', {
      name: 'pam-replace',
      create_server_users: true,
    })
    expect(again.status).toBe(201)
    const second = await getProject('pam-replace')
    expect(second?.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(second?.id).not.toBe(first?.id) // a new resource: d.SetId(*proj.ID)
    expect(second?.forward_traffic).toBe(false) // nothing inherited
    const made = await pam.post(path, { description: 'fleet' })
    expect(made.status).toBe(201)
    const fresh = goDecode(made.json(), OKTAPAM_TOKEN)

    const listed = await pam.get(path)
    expect(listed.status).toBe(200)
    const ids = (listed.json() as { list: unknown[] }).list.map(
      (t) => goDecode(t, OKTAPAM_TOKEN).id,
    )
    expect(ids).toEqual([fresh.id])
    await expectOldAgentsShutOut(app.api, '/v1/teams/tf/projects/pam-replace', {
      enrollmentToken: String(old.token),
      agents,
    })
    const servers = await app.api('GET', '/v1/teams/tf/projects/pam-replace/servers', {
      token: app.admin.token,
    })
    expect(servers.body.list).toEqual([])
  }, 60_000)
})
