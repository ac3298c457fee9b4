import { expect, inject, it } from 'vitest'
import { countCalls } from '../../bench/run.js'

/**
 * The benchmark's call counts, which are deterministic (timings on 2 shared cores are
 * not, and are not asserted: `npm run bench -- --quick` exercises those sections).
 */
it('makes every request within its DynamoDB call budget', async () => {
  const calls = await countCalls({ endpoint: inject('dynamoEndpoint') })
  expect(calls.map((row) => [row.request, row.total])).toEqual([
    ['any route, garbage token', 0],
    ['any route, well-formed forged token', 1],
    ['GET /api/tokens, token first used this minute', 3],
    ['GET /api/tokens', 2],
    ['POST /api/tokens', 3],
    ['GET /api/tokens, service bearer token (JWT)', 1],
    ['POST /v1/teams/{team}/service_token', 2],
    ['GET /v1/teams/{team}/projects, service bearer token (JWT)', 1],
    ['POST /v1/teams/{team}/projects, JWT (role in the token)', 1],
    ['POST /v1/teams/{team}/projects, personal token (role read)', 3],
    ["another team's /v1/teams/{team}/projects, JWT", 0],
    ['POST /tokens, wrong password (attempt window open)', 2],
    ['POST /tokens, password grant', 5],
    ['POST .../server_enrollment_tokens (JWT)', 1],
    ['GET .../server_enrollment_tokens/{id} (JWT)', 1],
    ['POST .../servers (enrollment)', 1],
    ['POST .../servers (secretless, aws_iam; + 1 STS call)', 2],
    ['POST .../servers/{id}/heartbeat', 1],
    ['GET .../server_enrollment_tokens (JWT)', 1],
    ['GET .../servers (JWT)', 1],
    ['GET .../servers/{id} (JWT)', 1],
    ['DELETE .../servers/{id} (JWT)', 2],
    ['POST .../servers/{id}/heartbeat, deleted server', 2],
    ['DELETE .../server_enrollment_tokens/{id} (JWT)', 1],
    ['GET /v1/teams/{team}/projects/{project} (JWT)', 1],
    ['DELETE /v1/teams/{team}/projects/{project}, empty (JWT)', 3],
    ['GET /.well-known/jwks.json', 0],
    ['DELETE /api/tokens/{id}', 3],
    ['POST .../tokens/verify, garbage (JWT caller)', 0],
    ['POST .../tokens/verify, personal token (JWT caller)', 1],
    ['POST .../tokens/verify, service JWT (JWT caller)', 0],
    ['GET /api/tokens, rate-limited token', 3],
    ['GET /example/orders (authorizer), first call', 1],
    ['GET /example/orders (authorizer), cached', 0],
  ])
  expect(calls.every((row) => row.withinBudget)).toBe(true)
})
