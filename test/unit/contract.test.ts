import { describe, expect, it } from 'vitest'
import { contractViolation } from '../support/contract.js'

const answer = (method: string, path: string, status: number, body: unknown) => ({
  method,
  path,
  status,
  body,
  text: body === undefined ? '' : JSON.stringify(body),
})

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
    expect(contractViolation(answer('GET', '/api/tokens', 401, { ...bare, errors: [] }))).toBe(
      undefined,
    )
  })
})
