import { expect, inject, it } from 'vitest'
import { runBench } from '../../bench/run.js'

/**
 * The benchmark in --quick mode, so its code cannot rot. Timings are not asserted
 * (2 shared cores are noisy); DynamoDB call counts are deterministic and are.
 */
it('runs the benchmark end to end, within every call budget', async () => {
  const results = await runBench({ quick: true, endpoint: inject('dynamoEndpoint') })
  expect(results.calls.map((row) => [row.request, row.total])).toEqual([
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
    ['POST .../servers (enrollment)', 2],
    ['POST .../servers/{id}/heartbeat', 1],
    ['GET .../server_enrollment_tokens (JWT)', 1],
    ['GET .../servers (JWT)', 1],
    ['GET .../servers/{id} (JWT)', 1],
    ['DELETE .../servers/{id} (JWT)', 2],
    ['POST .../servers/{id}/heartbeat, deleted server', 2],
    ['DELETE .../server_enrollment_tokens/{id} (JWT)', 1],
    ['GET /v1/teams/{team}/projects/{project} (JWT)', 1],
    ['DELETE /v1/teams/{team}/projects/{project}, empty (JWT)', 4],
    ['GET /.well-known/jwks.json', 0],
    ['DELETE /api/tokens/{id}', 3],
  ])
  expect(results.calls.every((row) => row.withinBudget)).toBe(true)
  expect(results.latency).toHaveLength(6)
  for (const row of results.latency) expect(row.httpFloor.p50).toBeGreaterThan(0)
  expect(results.scale.map((row) => row.tokens)).toEqual([50, 100])
  expect(results.cold.bundles.map((b) => b.handler)).toContain('tokens/list')
  expect(results.cold.bundles.map((b) => b.handler)).toContain('events/stream')
  expect(results.events.events).toBe(3)
  for (const bundle of results.cold.bundles) expect(bundle.bytes).toBeGreaterThan(10_000)
})
