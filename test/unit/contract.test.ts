import { describe, expect, it } from 'vitest'
import { contractViolation } from '../support/contract.js'

const answer = (
  method: string,
  path: string,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) => ({
  method,
  path,
  status,
  headers: new Headers(headers),
  body,
  text: body === undefined ? '' : JSON.stringify(body),
})

const CHALLENGE = { 'www-authenticate': 'Bearer realm="latchkey"' }

const token = {
  id: 1,
  token: null,
  name: 'ci',
  lastUsed: null,
  dateCreated: '2026-11-25T10:00:00.000Z',
  basicAuth: null,
  expiresAt: null,
  scopes: null,
  meta: null,
  rateLimit: null,
}

/** The integration suite's oracle must refuse what the contract refuses. */
describe('the contract check of integration answers', () => {
  it('accepts an answer its route describes', () => {
    expect(
      contractViolation(answer('GET', '/api/tokens', 200, { tokens: [token] })),
    ).toBeUndefined()
    expect(
      contractViolation(answer('DELETE', '/api/tokens/3?token=x', 204, undefined)),
    ).toBeUndefined()
  })

  it('refuses a body with a field the schema lacks, or missing one it requires', () => {
    expect(
      contractViolation(answer('GET', '/api/tokens', 200, { tokens: [{ ...token, secret: 's' }] })),
    ).toMatch(/schema rejects/)
    const { name: _name, ...nameless } = token
    expect(contractViolation(answer('GET', '/api/tokens', 200, { tokens: [nameless] }))).toMatch(
      /schema rejects/,
    )
  })

  it('refuses a status the row does not declare', () => {
    expect(contractViolation(answer('POST', '/api/tokens', 201, { token }))).toMatch(
      /does not declare/,
    )
  })

  it('refuses an error code the route may not answer, or under another status', () => {
    const conflict = { code: 'resource_already_exists', message: 'x', errors: [] }
    expect(contractViolation(answer('GET', '/api/tokens', 409, conflict))).toMatch(
      /does not declare/,
    )
    expect(contractViolation(answer('POST', '/api/tokens', 400, conflict))).toMatch(/which is 409/)
    expect(contractViolation(answer('POST', '/api/tokens', 409, conflict))).toBeUndefined()
  })

  it('refuses an error answer without the error body', () => {
    expect(contractViolation(answer('GET', '/api/tokens', 401, { error: 'no' }))).toMatch(
      /not the error body/,
    )
    // `errors` is always there, empty when no field is at fault (Server Density clients).
    const bare = { code: 'authentication_error', message: 'x' }
    expect(contractViolation(answer('GET', '/api/tokens', 401, bare))).toMatch(/not the error body/)
    expect(
      contractViolation(answer('GET', '/api/tokens', 401, { ...bare, errors: [] }, CHALLENGE)),
    ).toBe(undefined)
  })

  it("refuses an error answer without its code's headers: a 429 without X-RateLimit-Retry-At", () => {
    const limited = { code: 'too_many_requests', message: 'x', errors: [] }
    const both = { 'retry-after': '3', 'x-ratelimit-retry-at': '1795000003' }
    expect(contractViolation(answer('GET', '/api/tokens', 429, limited, both))).toBeUndefined()
    expect(
      contractViolation(answer('GET', '/api/tokens', 429, limited, { 'retry-after': '3' })),
    ).toMatch(/without its x-ratelimit-retry-at header/)
    expect(
      contractViolation(
        answer('GET', '/api/tokens', 429, limited, { 'x-ratelimit-retry-at': '1795000003' }),
      ),
    ).toMatch(/without its retry-after header/)
    const bare = { code: 'authentication_error', message: 'x', errors: [] }
    expect(contractViolation(answer('GET', '/api/tokens', 401, bare))).toMatch(
      /without its www-authenticate header/,
    )
  })

  it('refuses a retry time that is not unix seconds (oktapam parses it with strconv.ParseInt)', () => {
    const limited = { code: 'too_many_requests', message: 'x', errors: [] }
    for (const at of ['1795000003.5', 'Wed, 21 Oct 2026 07:28:00 GMT', '-1'])
      expect(
        contractViolation(
          answer('GET', '/api/tokens', 429, limited, {
            'retry-after': '3',
            'x-ratelimit-retry-at': at,
          }),
        ),
      ).toMatch(/with x-ratelimit-retry-at/)
  })

  it('refuses a rate-limit or link header a route does not declare', () => {
    const trio = {
      'x-ratelimit-limit': '2',
      'x-ratelimit-remaining': '1',
      'x-ratelimit-reset': '9',
    }
    expect(
      contractViolation(answer('GET', '/api/tokens', 200, { tokens: [token] }, trio)),
    ).toBeUndefined()
    // The JWKS takes no credential: no token of it is ever counted.
    expect(
      contractViolation(answer('GET', '/.well-known/jwks.json', 200, { keys: [] }, trio)),
    ).toMatch(/x-ratelimit-limit, which its route does not declare/)
    expect(
      contractViolation(
        answer('GET', '/api/tokens', 200, { tokens: [token] }, { link: '<x>; rel="next"' }),
      ),
    ).toMatch(/link, which its route does not declare/)
  })
})
