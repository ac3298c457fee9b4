/**
 * Section "calls": the DynamoDB calls of every declared path of every route, counted
 * on the service's own client, against the budget its row declares (shared/routes.ts).
 * Deterministic, so `npm test` asserts it (test/integration/bench.test.ts).
 */
import {
  authorizerCalls,
  type CallBudget,
  personalTokenExtraCalls,
  type RouteId,
  refusedCredentialCalls,
  routes,
} from '../shared/routes.js'
import type { Bench } from './harness.js'
import { seedMember } from './seed.js'
import type { Report } from './stats.js'

export interface CallRow {
  request: string
  /** The row and path whose budget this is; none for the cross-route rows. */
  route?: RouteId
  path?: string
  budget: number
  counts: Record<string, number>
  total: number
}

/** A path's declared count; an undeclared path is the bench's bug, said loudly. */
function budget(route: RouteId, path: string): number {
  const calls: CallBudget = routes[route].calls
  const count = calls[path]
  if (count === undefined) throw new Error(`routes.${route}.calls declares no path '${path}'`)
  return count
}

export async function measureCalls(bench: Bench): Promise<CallRow[]> {
  const { http, counted, nextName, token, serviceToken: jwt, project } = bench
  const created = await http('POST', '/api/tokens', token, { name: nextName() })
  const victim = await http('POST', '/api/tokens', token, { name: nextName() })
  const victim2 = await http('POST', '/api/tokens', token, { name: nextName() })
  const grant = (password: string) =>
    http('POST', '/tokens', undefined, {
      username: 'admin',
      password,
      accountName: 'acme',
      tokenName: nextName(),
    })
  // Each token used once first, so no row but the first pays its once-a-minute lastUsed write.
  const verify = (presented: string) =>
    http('POST', '/v1/teams/acme/tokens/verify', jwt, { token: presented })
  const limited = await http('POST', '/api/tokens', token, {
    name: nextName(),
    rateLimit: { limit: 1_000_000, windowSeconds: 86_400 },
  })
  await http('GET', '/api/tokens', limited.accessKey)
  const orders = await http('POST', '/api/tokens', token, {
    name: nextName(),
    scopes: ['orders:read'],
  })
  await verify(orders.accessKey)
  const enrollment = await http('POST', `${project}/server_enrollment_tokens`, jwt, {
    description: 'calls',
  })
  const enrolled = await http('POST', `${project}/servers`, enrollment.token, { hostname: 'b-0' })
  const doomed = await http('POST', `${project}/servers`, enrollment.token, { hostname: 'b-1' })
  await http('DELETE', `${project}/servers/${doomed.server.id}`, jwt)
  const usedUp = await http('POST', `${project}/server_enrollment_tokens`, jwt, {
    description: 'used up',
    max_uses: 1,
  })
  await http('POST', `${project}/servers`, usedUp.token, { hostname: 'b-2' })
  const account = await http('POST', `${project}/cloud_accounts`, jwt, {
    provider: 'aws',
    account_id: '444455556666',
  })
  await http('POST', '/v1/teams/acme/projects', jwt, { name: 'empty' })
  await http('POST', '/v1/teams/acme/projects', jwt, { name: 'doomed' })
  // A project deleted with 120 old children, which the create over its name deletes
  // (no stream runs on the bench table, so its deletion stays under way).
  await http('POST', '/v1/teams/acme/projects', jwt, { name: 'crowded' })
  const { markDeletingWithoutAuthor, seedServers } = await import('./seed.js')
  await seedServers(bench.db, bench.tableName, { team: 'acme', project: 'crowded' }, 120)
  await http('DELETE', '/v1/teams/acme/projects/crowded', jwt)
  // The same, closed by a DELETE from before deletes had an author (no cascade runs).
  await http('POST', '/v1/teams/acme/projects', jwt, { name: 'stalled' })
  await seedServers(bench.db, bench.tableName, { team: 'acme', project: 'stalled' }, 50)
  await markDeletingWithoutAuthor(bench.db, bench.tableName, { team: 'acme', project: 'stalled' })
  const empty = '/v1/teams/acme/projects/empty'
  const session = await http('POST', '/api/tokens', token, { name: nextName() })
  await http('GET', '/api/tokens', session.accessKey)
  const lone = await http('POST', '/api/tokens', token, { name: nextName() })
  await http('GET', '/api/tokens', lone.accessKey)
  const { createAccessToken } = await import('../shared/domain/access-tokens.js')
  await seedMember({ team: 'acme', username: 'solo' })
  const solo = (await createAccessToken({ team: 'acme', username: 'solo' }, { name: 'only' }))
    .accessKey
  await http('GET', '/api/tokens', solo)
  await grant('wrong password') // opens the attempt window: the row below is a failure inside it
  const revokable = await http('POST', '/api/tokens', token, { name: nextName() })
  // Issue 14: a token rotated with a grace period, its old secret used once first (lastUsed).
  const rotating = await http('POST', '/api/tokens', token, { name: nextName() })
  await http('POST', `/api/tokens/${rotating.token.id}/rotate`, token, {
    expireOldInSeconds: 3600,
  })
  await http('GET', '/api/tokens', rotating.accessKey)
  const rotated = await http('POST', '/api/tokens', token, { name: nextName() })
  const rotatedByJwt = await http('POST', '/api/tokens', token, { name: nextName() })
  const rotor = await http('POST', `${project}/servers`, enrollment.token, { hostname: 'b-6' })
  const leakedPat = await http('POST', '/api/tokens', token, { name: nextName() })
  const leakedServer = await http('POST', `${project}/servers`, enrollment.token, {
    hostname: 'b-7',
  })
  const leakedEnrollment = await http('POST', `${project}/server_enrollment_tokens`, jwt, {
    description: 'leaked',
  })
  const policy = '/v1/teams/acme/token_policy'

  type Case = { route: RouteId; path: string; run: () => Promise<unknown> } | Extra
  type Extra = { request: string; budget: number; run: () => Promise<unknown> }
  const pat = created.accessKey
  const cases: Case[] = [
    {
      request: 'any route, garbage token',
      budget: refusedCredentialCalls.garbage,
      run: () => http('GET', '/api/tokens', 'garbage'),
    },
    {
      request: 'any route, well-formed forged token',
      budget: refusedCredentialCalls.forged,
      run: () => http('GET', '/api/tokens', bench.forged),
    },
    {
      request: 'GET /api/tokens, personal token first used this minute',
      budget: budget('listAccessTokens', 'personal token') + personalTokenExtraCalls.lastUsedDue,
      run: () => http('GET', '/api/tokens', pat),
    },
    {
      request: 'GET /api/tokens, rate-limited personal token',
      budget: budget('listAccessTokens', 'personal token') + personalTokenExtraCalls.rateLimited,
      run: () => http('GET', '/api/tokens', limited.accessKey),
    },
    {
      route: 'listAccessTokens',
      path: 'personal token',
      run: () => http('GET', '/api/tokens', pat),
    },
    {
      request: 'GET /api/tokens, the old secret during its grace period',
      // verification stays one GetItem whichever secret
      budget: budget('listAccessTokens', 'personal token'),
      run: () => http('GET', '/api/tokens', rotating.accessKey),
    },
    {
      route: 'listAccessTokens',
      path: 'service token',
      run: () => http('GET', '/api/tokens', jwt),
    },
    {
      route: 'createAccessToken',
      path: 'personal token',
      run: () => http('POST', '/api/tokens', pat, { name: nextName() }),
    },
    {
      route: 'createAccessToken',
      path: 'service token',
      run: () => http('POST', '/api/tokens', jwt, { name: nextName() }),
    },
    {
      route: 'rotateAccessToken',
      path: 'personal token',
      run: () => http('POST', `/api/tokens/${rotated.token.id}/rotate`, pat),
    },
    {
      route: 'rotateAccessToken',
      path: 'service token',
      run: () => http('POST', `/api/tokens/${rotatedByJwt.token.id}/rotate`, jwt),
    },
    {
      route: 'getTokenPolicy',
      path: 'service token',
      run: () => http('GET', policy, jwt),
    },
    {
      route: 'getTokenPolicy',
      path: 'personal token',
      run: () => http('GET', policy, pat),
    },
    {
      route: 'putTokenPolicy',
      path: 'service token',
      run: () => http('PUT', policy, jwt, {}),
    },
    {
      route: 'putTokenPolicy',
      path: 'personal token',
      run: () => http('PUT', policy, pat, {}),
    },
    {
      route: 'revokeLeakedTokens',
      path: 'bad signature',
      run: () => bench.leakReport([leakedPat.accessKey], false),
    },
    {
      route: 'revokeLeakedTokens',
      path: 'not ours',
      run: () => bench.leakReport(['ghp_someone_elses_token']),
    },
    {
      route: 'revokeLeakedTokens',
      path: 'personal token',
      run: () => bench.leakReport([leakedPat.accessKey]),
    },
    {
      route: 'revokeLeakedTokens',
      path: 'server token',
      run: () => bench.leakReport([leakedServer.server_token]),
    },
    {
      route: 'revokeLeakedTokens',
      path: 'enrollment token',
      run: () => bench.leakReport([leakedEnrollment.token]),
    },
    {
      route: 'deleteAccessToken',
      path: 'personal token',
      run: () => http('DELETE', `/api/tokens/${victim.token.id}`, pat),
    },
    {
      route: 'deleteTokenByGrant',
      path: 'personal token',
      run: () => http('DELETE', `/tokens/${victim2.token.id}`, pat),
    },
    {
      route: 'deleteAllAccessTokens',
      path: 'personal token, its only token',
      run: () => http('DELETE', '/api/tokens/delete-all', solo),
    },
    {
      route: 'createServiceToken',
      path: 'ok',
      run: () =>
        http('POST', '/v1/teams/acme/service_token', undefined, { key_id: '1', key_secret: token }),
    },
    {
      route: 'createTokenByGrant',
      path: 'wrong password',
      run: () => grant('wrong password'),
    },
    { route: 'createTokenByGrant', path: 'password', run: () => grant('bench password') },
    {
      route: 'createTokenByGrant',
      path: 'personal token',
      run: () => http('POST', '/tokens', pat, { tokenName: nextName() }),
    },
    { route: 'jwks', path: 'ok', run: () => http('GET', '/.well-known/jwks.json') },
    { route: 'openApi', path: 'ok', run: () => http('GET', '/openapi.json') },
    { route: 'health', path: 'ok', run: () => http('GET', '/healthz') },
    { route: 'verifyToken', path: 'garbage', run: () => verify('garbage') },
    { route: 'verifyToken', path: 'personal token', run: () => verify(pat) },
    { route: 'verifyToken', path: 'service token', run: () => verify(jwt) },
    { route: 'verifyToken', path: 'server token', run: () => verify(enrolled.server_token) },
    {
      route: 'verifyToken',
      path: "deleted server's token",
      run: () => verify(doomed.server_token),
    },
    {
      route: 'listProjects',
      path: 'service token',
      run: () => http('GET', '/v1/teams/acme/projects', jwt),
    },
    {
      route: 'listProjects',
      path: 'personal token',
      run: () => http('GET', '/v1/teams/acme/projects', pat),
    },
    {
      route: 'listProjects',
      path: "another team's",
      run: () => http('GET', '/v1/teams/other/projects', jwt),
    },
    {
      route: 'createProject',
      path: 'service token',
      run: () => http('POST', '/v1/teams/acme/projects', jwt, { name: 'bench-jwt' }),
    },
    {
      route: 'createProject',
      path: 'personal token',
      run: () => http('POST', '/v1/teams/acme/projects', pat, { name: 'bench-pat' }),
    },
    { route: 'getProject', path: 'service token', run: () => http('GET', project, jwt) },
    {
      route: 'updateProject',
      path: 'service token',
      run: () => http('PUT', project, jwt, { name: 'bench', forward_traffic: true }),
    },
    {
      route: 'updateProject',
      path: 'unchanged',
      run: () => http('PUT', project, jwt, { name: 'bench', forward_traffic: true }),
    },
    {
      route: 'deleteProject',
      path: 'service token',
      run: () => http('DELETE', '/v1/teams/acme/projects/doomed', jwt),
    },
    {
      // A Terraform replace: created again at once, over the deletion under way.
      route: 'createProject',
      path: 'name being deleted',
      run: () => http('POST', '/v1/teams/acme/projects', jwt, { name: 'doomed' }),
    },
    {
      route: 'createProject',
      path: 'name being deleted, 120 children left',
      run: () => http('POST', '/v1/teams/acme/projects', jwt, { name: 'crowded' }),
    },
    {
      route: 'createProject',
      path: "an older DELETE's mark, 50 children left",
      run: () => http('POST', '/v1/teams/acme/projects', jwt, { name: 'stalled' }),
    },
    {
      route: 'createEnrollmentToken',
      path: 'service token',
      run: () =>
        http('POST', `${project}/server_enrollment_tokens`, jwt, { description: 'counted' }),
    },
    {
      route: 'getEnrollmentToken',
      path: 'service token',
      run: () => http('GET', `${project}/server_enrollment_tokens/${enrollment.id}`, jwt),
    },
    {
      route: 'listEnrollmentTokens',
      path: 'service token',
      run: () => http('GET', `${project}/server_enrollment_tokens`, jwt),
    },
    {
      route: 'listEnrollmentTokens',
      path: 'empty page',
      run: () => http('GET', `${empty}/server_enrollment_tokens`, jwt),
    },
    {
      route: 'enrollServer',
      path: 'token',
      run: () => http('POST', `${project}/servers`, enrollment.token, { hostname: 'b-3' }),
    },
    {
      route: 'enrollServer',
      path: 'refused token',
      run: () => http('POST', `${project}/servers`, usedUp.token, { hostname: 'b-4' }),
    },
    {
      route: 'enrollServer',
      path: 'garbage',
      run: () => http('POST', `${project}/servers`, 'garbage', { hostname: 'b-5' }),
    },
    {
      route: 'enrollServer',
      path: 'aws_iam',
      run: async () => http('POST', `${project}/servers`, undefined, await bench.secretless()),
    },
    {
      route: 'heartbeat',
      path: 'ok',
      run: () =>
        http('POST', `${project}/servers/${enrolled.server.id}/heartbeat`, enrolled.server_token),
    },
    {
      route: 'heartbeat',
      path: 'deleted server',
      run: () =>
        http('POST', `${project}/servers/${doomed.server.id}/heartbeat`, doomed.server_token),
    },
    {
      route: 'rotateServerToken',
      path: 'ok',
      run: () =>
        http('POST', `${project}/servers/${rotor.server.id}/rotate_token`, rotor.server_token),
    },
    {
      route: 'rotateServerToken',
      path: 'deleted server',
      run: () =>
        http('POST', `${project}/servers/${doomed.server.id}/rotate_token`, doomed.server_token),
    },
    {
      route: 'listServers',
      path: 'service token',
      run: () => http('GET', `${project}/servers`, jwt),
    },
    { route: 'listServers', path: 'empty page', run: () => http('GET', `${empty}/servers`, jwt) },
    {
      route: 'getServer',
      path: 'service token',
      run: () => http('GET', `${project}/servers/${enrolled.server.id}`, jwt),
    },
    {
      route: 'deleteServer',
      path: 'service token',
      run: () => http('DELETE', `${project}/servers/${enrolled.server.id}`, jwt),
    },
    {
      route: 'rotateEnrollmentToken',
      path: 'service token',
      run: () =>
        http('POST', `${project}/server_enrollment_tokens/${enrollment.id}/rotate`, jwt, {
          expireOldInSeconds: 600,
        }),
    },
    {
      route: 'deleteEnrollmentToken',
      path: 'service token',
      run: () => http('DELETE', `${project}/server_enrollment_tokens/${enrollment.id}`, jwt),
    },
    {
      route: 'listCloudAccounts',
      path: 'service token',
      run: () => http('GET', `${project}/cloud_accounts`, jwt),
    },
    {
      route: 'listCloudAccounts',
      path: 'empty page',
      run: () => http('GET', `${empty}/cloud_accounts`, jwt),
    },
    {
      route: 'createCloudAccount',
      path: 'service token',
      run: () =>
        http('POST', `${project}/cloud_accounts`, jwt, {
          provider: 'aws',
          account_id: '777788889999',
        }),
    },
    {
      route: 'deleteCloudAccount',
      path: 'service token',
      run: () => http('DELETE', `${project}/cloud_accounts/${account.id}`, jwt),
    },
    {
      route: 'listTeamTokens',
      path: 'service token',
      run: () => http('GET', '/v1/teams/acme/tokens', jwt),
    },
    {
      route: 'listTeamTokens',
      path: '?user=',
      run: () => http('GET', '/v1/teams/acme/tokens?user=admin', jwt),
    },
    {
      route: 'deleteTeamUserToken',
      path: 'service token',
      run: () => http('DELETE', `/v1/teams/acme/users/admin/tokens/${revokable.token.id}`, jwt),
    },
    {
      route: 'deleteTeamUserToken',
      path: 'no such token',
      run: () => http('DELETE', '/v1/teams/acme/users/admin/tokens/999999', jwt),
    },
    {
      route: 'listAudit',
      path: 'service token',
      run: () => http('GET', '/v1/teams/acme/audit', jwt),
    },
    {
      route: 'listTeamUsers',
      path: 'service token',
      run: () => http('GET', '/v1/teams/acme/users', jwt),
    },
    {
      request: 'GET /example/orders (authorizer), first call',
      budget: authorizerCalls.first,
      run: () => http('GET', '/example/orders', orders.accessKey),
    },
    {
      request: 'GET /example/orders (authorizer), cached',
      budget: authorizerCalls.cached,
      run: () => http('GET', '/example/orders', orders.accessKey),
    },
  ]
  const rows: CallRow[] = []
  for (const item of cases) {
    const counts = await counted(item.run)
    const total = Object.values(counts).reduce((a, b) => a + b, 0)
    if ('route' in item) {
      const { method, path } = routes[item.route]
      rows.push({
        request: `${method} ${path}, ${item.path}`,
        route: item.route,
        path: item.path,
        budget: budget(item.route, item.path),
        counts,
        total,
      })
    } else rows.push({ request: item.request, budget: item.budget, counts, total })
  }
  return rows
}

/** Declared paths the section does not measure: each must have a row above. */
export function unmeasured(rows: CallRow[]): string[] {
  const measured = new Set(rows.map((row) => `${row.route}: ${row.path}`))
  return Object.entries(routes).flatMap(([id, route]) =>
    Object.keys(route.calls)
      .map((path) => `${id}: ${path}`)
      .filter((key) => !measured.has(key)),
  )
}

export function printCalls(report: Report, rows: CallRow[]) {
  report.log('\nDynamoDB calls per request, against the budgets declared in shared/routes.ts')
  report.table(
    rows.map((r) => ({
      request: r.request,
      calls: JSON.stringify(r.counts),
      total: r.total,
      budget: r.budget,
      ok: r.total === r.budget,
    })),
  )
}
