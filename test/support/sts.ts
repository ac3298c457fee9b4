import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Sha256 } from '@aws-crypto/sha256-js'
import { SignatureV4 } from '@smithy/signature-v4'

/** Test credentials, as an EC2 instance role hands them out, and who STS says they are. */
export interface TestIdentity {
  accessKeyId: string
  secretAccessKey: string
  sessionToken: string
  account: string
  arn: string
}

export const instanceRole = (
  account: string,
  role: string,
  session: string,
  key = `ASIA${account}TEST`,
): TestIdentity => ({
  accessKeyId: key.padEnd(20, 'X'),
  secretAccessKey: `secret-of-${key}`,
  sessionToken: `session-token-of-${key}`,
  account,
  arn: `arn:aws:sts::${account}:assumed-role/${role}/${session}`,
})

export interface SignOptions {
  /** `team/project`, the value of the signed X-Latchkey-Project header. */
  project: string
  url?: string
  region?: string
  body?: string
  signingDate?: Date
  /** Leave the project header out, as an agent for another service would. */
  withoutProjectHeader?: boolean
}

/**
 * What an agent does (README, "Enrolling EC2 instances without a token"): sign a
 * GetCallerIdentity request with the SDK's own SigV4 signer, with the project header
 * among the signed ones, and send the signed request's parts as `aws_iam`.
 */
export async function signCallerIdentity(identity: TestIdentity, options: SignOptions) {
  const url = new URL(options.url ?? 'https://sts.amazonaws.com/')
  const body = options.body ?? 'Action=GetCallerIdentity&Version=2011-06-15'
  const signer = new SignatureV4({
    credentials: identity,
    region: options.region ?? 'us-east-1',
    service: 'sts',
    sha256: Sha256,
  })
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      path: url.pathname,
      query: {},
      headers: {
        host: url.host,
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        ...(!options.withoutProjectHeader && { 'x-latchkey-project': options.project }),
      },
      body,
    },
    { signingDate: options.signingDate },
  )
  return { method: 'POST', url: url.href, headers: signed.headers, body }
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([A-Z0-9]+)\/\d{8}\/([a-z0-9-]+)\/sts\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=[0-9a-f]{64}$/

const errorXml = (code: string) =>
  `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${code}</Message></Error><RequestId>r</RequestId></ErrorResponse>`

const identityXml = (identity: TestIdentity) =>
  `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>${identity.arn}</Arn>
    <UserId>AROAEXAMPLE:${identity.arn.split('/').pop()}</UserId>
    <Account>${identity.account}</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>`

const readBody = async (request: IncomingMessage) => {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * A local STS stand-in: it checks SigV4 signatures as STS does (recomputed with the
 * SDK's signer from the known test credentials, for the host the region names, within
 * 15 minutes) and answers GetCallerIdentity in STS's XML. `mode` makes it throttle or
 * fail; `seen` counts what reached it, so tests can prove a request never left.
 */
export async function startStsStandIn(identities: TestIdentity[]) {
  const byKey = new Map(identities.map((identity) => [identity.accessKeyId, identity]))
  const state = { seen: 0, mode: 'ok' as 'ok' | 'throttle' | 'fail' }

  async function answer(request: IncomingMessage): Promise<[number, string]> {
    const body = await readBody(request)
    if (state.mode === 'throttle') return [400, errorXml('Throttling')]
    if (state.mode === 'fail') return [500, errorXml('InternalFailure')]
    const auth = AUTHORIZATION.exec(String(request.headers.authorization ?? ''))
    const identity = auth && byKey.get(auth[1] ?? '')
    if (!auth || !identity) return [403, errorXml('InvalidClientTokenId')]
    if (request.headers['x-amz-security-token'] !== identity.sessionToken)
      return [403, errorXml('InvalidClientTokenId')]
    const dateHeader = String(request.headers['x-amz-date'] ?? '')
    const date = new Date(
      dateHeader.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
    )
    if (!(Math.abs(Date.now() - date.getTime()) <= 15 * 60 * 1000))
      return [403, errorXml('SignatureDoesNotMatch')]
    const region = auth[2] ?? ''
    const signedNames = (auth[3] ?? '').split(';')
    const hosts = [
      `sts.${region}.amazonaws.com`,
      ...(region === 'us-east-1' ? ['sts.amazonaws.com'] : []),
    ]
    const signer = new SignatureV4({
      credentials: identity,
      region,
      service: 'sts',
      sha256: Sha256,
    })
    let valid = false
    for (const host of hosts) {
      // The request as signed: the signed headers, with the host the agent signed for
      // and the hash of the body actually received (so a changed body fails).
      const bodyHash = createHash('sha256').update(body).digest('hex')
      const headers = Object.fromEntries(
        signedNames.map((name) => [
          name,
          name === 'host'
            ? host
            : name === 'x-amz-content-sha256'
              ? bodyHash
              : String(request.headers[name]),
        ]),
      )
      const expected = await signer.sign(
        {
          method: request.method ?? '',
          protocol: 'https:',
          hostname: host,
          path: '/',
          query: {},
          headers,
          body,
        },
        { signingDate: date },
      )
      if (expected.headers.authorization === request.headers.authorization) valid = true
    }
    if (!valid) return [403, errorXml('SignatureDoesNotMatch')]
    const params = new URLSearchParams(body)
    if (params.get('Action') !== 'GetCallerIdentity') return [400, errorXml('InvalidAction')]
    return [200, identityXml(identity)]
  }

  const server = createServer((request, response) => {
    state.seen++
    answer(request).then(
      ([status, xml]) => response.writeHead(status, { 'content-type': 'text/xml' }).end(xml),
      () => response.writeHead(500).end(),
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
