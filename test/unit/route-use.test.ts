import { describe, expect, it } from 'vitest'
import { routes } from '../../shared/routes.js'
import { declaredStatuses, unprovedRouteClaims } from '../support/route-use.js'

/** The check the integration tier's teardown runs over what its routes did. */
describe('unproved route claims', () => {
  const list = { ...routes.listAccessTokens, table: ['Query', 'DeleteItem'] as const }
  const key = 'GET /api/tokens'

  it('names a granted action the route never used, and a declared status never produced', () => {
    const problems = unprovedRouteClaims(
      [
        { route: key, action: 'BatchGetItem' },
        { route: key, action: 'GetItem' },
        { route: key, action: 'UpdateItem' },
        { route: key, action: 'Query' },
        { route: key, status: 200 },
      ],
      [list],
    )
    expect(problems).toEqual([
      'GET /api/tokens: granted dynamodb:DeleteItem, which no request in the suite used',
      'GET /api/tokens: declares 401, which no request in the suite produced',
      'GET /api/tokens: declares 403, which no request in the suite produced',
    ])
  })

  it("accepts authentication's actions used by another route of the same kind", () => {
    const create = routes.createAccessToken
    const problems = unprovedRouteClaims(
      [
        { route: key, action: 'GetItem' },
        { route: key, action: 'Query' },
        { route: 'POST /api/tokens', action: 'BatchGetItem' }, // the token lookup, there only
        { route: 'POST /api/tokens', action: 'UpdateItem' }, // lastUsed, due there only
        { route: 'POST /api/tokens', action: 'PutItem' },
        { route: 'POST /api/tokens', action: 'ConditionCheckItem' },
        { route: 'POST /api/tokens', action: 'GetItem' }, // the policy, its own
        { route: 'POST /api/tokens', action: 'Query' }, // a recount, its own
      ],
      [routes.listAccessTokens, create],
    ).filter((problem) => problem.includes('dynamodb'))
    expect(problems).toEqual([])
  })

  it('reads the statuses from a row, implied ones included, but not outages and body limits', () => {
    expect(declaredStatuses(routes.createTokenByGrant).sort()).toEqual([
      200, 400, 401, 403, 409, 429,
    ])
  })
})
