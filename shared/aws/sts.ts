/**
 * Secretless enrollment's one network call: a SigV4-signed sts:GetCallerIdentity
 * request, made and signed by the agent, checked here and forwarded to STS, which
 * answers who signed it. Nothing but that exact call to an AWS STS endpoint is ever
 * forwarded (no SSRF): the URL is matched whole, the body is the action itself, and
 * redirects are not followed. No SDK client: one `fetch` keeps the agent bundle small.
 */

/** The request as the agent sends it (`aws_iam` in the enrollment body). */
export interface SignedRequest {
  method: string
  url: string
  headers: Record<string, string>
  body: string
}

/** A request fit to forward, with what the replay guard needs. */
export interface CheckedRequest {
  url: string
  headers: Record<string, string>
  body: string
  /** The SigV4 signature (hex): the same signed request always has the same one. */
  signature: string
  /** When STS stops accepting it: the signing time plus the skew STS allows. */
  expiresAt: Date
}

export type Checked = { ok: true; request: CheckedRequest } | { ok: false; reason: string }

/** What STS said: who signed, that it refused, or that it could not be asked. */
export type StsAnswer =
  | { kind: 'identity'; account: string; arn: string }
  | { kind: 'refused'; reason: string }
  | { kind: 'unavailable'; reason: string }

/** STS (and we) accept a signature this long either side of its date. */
export const SIGNATURE_WINDOW_MS = 15 * 60 * 1000

/** The header that binds a signature to one team/project, so it can't be used for another. */
export const PROJECT_HEADER = 'x-latchkey-project'

// The global endpoint (signed for us-east-1) or a regional one, https, no port, path or query.
const STS_URL = /^https:\/\/sts(?:\.([a-z]{2}(?:-gov)?-[a-z]+-[0-9]))?\.amazonaws\.com\/?$/
const ACTION_BODY =
  /^(?:Action=GetCallerIdentity&Version=2011-06-15|Version=2011-06-15&Action=GetCallerIdentity)$/
const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=[A-Z0-9]{16,128}\/([0-9]{8})\/([a-z0-9-]{1,32})\/sts\/aws4_request, ?SignedHeaders=([a-z0-9-]+(?:;[a-z0-9-]+)*), ?Signature=([0-9a-f]{64})$/
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/
const FORM = /^application\/x-www-form-urlencoded(?:; ?charset=utf-8)?$/i
// What SDKs sign; anything else (connection, transfer-encoding...) is not forwarded.
const SIGNABLE =
  /^(?:host|content-type|content-length|accept|x-amz-[a-z0-9-]+|amz-sdk-[a-z-]+|x-latchkey-project)$/
const REQUIRED_SIGNED = ['host', 'x-amz-date', PROJECT_HEADER]

const refuse = (reason: string): Checked => ({ ok: false, reason })

function amzDate(value: string): Date | undefined {
  const [, y, mo, d, h, mi, s] = AMZ_DATE.exec(value) ?? []
  if (!y) return undefined
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`)
  return Number.isNaN(date.getTime()) ? undefined : date
}

/**
 * Checks, with no I/O, that a request is exactly sts:GetCallerIdentity to an AWS STS
 * endpoint, signed within the window, with `X-Latchkey-Project: <project>` signed.
 */
export function checkSignedRequest(request: SignedRequest, project: string, now: Date): Checked {
  if (request.method !== 'POST') return refuse('method is not POST')
  const endpoint = STS_URL.exec(request.url)
  if (!endpoint) return refuse('not an AWS STS endpoint')
  const region = endpoint[1] ?? 'us-east-1'
  if (!ACTION_BODY.test(request.body)) return refuse('body is not GetCallerIdentity')

  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(request.headers)) {
    const lower = name.toLowerCase()
    if (Object.hasOwn(headers, lower)) return refuse(`header ${lower} given twice`)
    headers[lower] = value
  }
  const auth = AUTHORIZATION.exec(headers.authorization ?? '')
  if (!auth) return refuse('no SigV4 Authorization header for sts')
  const [, scopeDate, scopeRegion, signedList = '', signature = ''] = auth
  if (scopeRegion !== region) return refuse(`signed for region ${scopeRegion}, sent to ${region}`)
  const signed = signedList.split(';')
  const missing = REQUIRED_SIGNED.filter((name) => !signed.includes(name))
  if (missing.length > 0) return refuse(`not signed: ${missing.join(', ')}`)
  const odd = signed.find((name) => !SIGNABLE.test(name))
  if (odd) return refuse(`signed header ${odd} is not forwarded`)
  if (headers[PROJECT_HEADER] !== project) return refuse('signed for another project')
  if (!FORM.test(headers['content-type'] ?? '')) return refuse('not form-encoded')
  const host = new URL(request.url).host
  if (headers.host !== undefined && headers.host !== host) return refuse('Host is not the URL host')

  const date = amzDate(headers['x-amz-date'] ?? '')
  if (!date || scopeDate !== headers['x-amz-date']?.slice(0, 8)) return refuse('bad X-Amz-Date')
  if (Math.abs(now.getTime() - date.getTime()) > SIGNATURE_WINDOW_MS)
    return refuse('signature date outside the 15-minute window')

  const forwarded: Record<string, string> = { authorization: headers.authorization ?? '' }
  for (const name of [...signed, 'content-type']) {
    if (name === 'host' || name === 'content-length') continue // fetch sets both, equal
    const value = headers[name]
    if (value === undefined) return refuse(`signed header ${name} is missing`)
    forwarded[name] = value
  }
  return {
    ok: true,
    request: {
      url: `https://${host}/`,
      headers: forwarded,
      body: request.body,
      signature,
      expiresAt: new Date(date.getTime() + SIGNATURE_WINDOW_MS),
    },
  }
}

const tag = (xml: string, name: string) => {
  const found = xml.match(new RegExp(`<${name}>([^<]{1,2048})</${name}>`, 'g')) ?? []
  return found.length === 1 ? found[0]?.slice(name.length + 2, -(name.length + 3)) : undefined
}

const THROTTLED = /<Code>(?:Throttling|ThrottlingException|RequestLimitExceeded)<\/Code>/

/**
 * Forwards a checked request to STS (or to `endpoint`, a local stand-in, in tests)
 * and reads the caller's account and ARN from its XML answer. Never follows a
 * redirect; gives up after `timeoutMs`.
 */
export async function askSts(
  request: CheckedRequest,
  endpoint: string | undefined,
  timeoutMs = 3000,
): Promise<StsAnswer> {
  let status: number
  let text: string
  try {
    const response = await fetch(endpoint ? `${endpoint}/` : request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    })
    status = response.status
    text = await response.text()
  } catch (error) {
    return { kind: 'unavailable', reason: `STS unreachable: ${(error as Error).name}` }
  }
  if (status === 429 || status >= 500 || THROTTLED.test(text))
    return { kind: 'unavailable', reason: `STS answered ${status}` }
  if (status !== 200) {
    const code = tag(text, 'Code') ?? 'no error code'
    return { kind: 'refused', reason: `STS refused (${status} ${code})` }
  }
  const account = tag(text, 'Account')
  const arn = tag(text, 'Arn')
  if (!account || !/^[0-9]{12}$/.test(account) || !arn || arn.split(':')[4] !== account)
    return { kind: 'refused', reason: 'STS answer without one Account and a matching Arn' }
  return { kind: 'identity', account, arn }
}
