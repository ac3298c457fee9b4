/**
 * Delete-all at scale (issue 16): the request path's time and calls with N tokens, and
 * how long the change stream's deletes behind it take, step by step. Seeds straight
 * into DynamoDB Local with batch writes (creating N tokens through the API would
 * measure the API). Its own file, apart from run.ts.
 *
 *   npx tsx bench/revocation.ts [--tokens 50000] [--samples 3] [--sweep]
 *
 * Request-path rows are the median (min-max) of the samples, each on a fresh user.
 * `--sweep` also times the physical deletes of the first sample, as the stream would
 * run them (steps of SWEEP_STEP tokens, one after the other).
 */
import { parseArgs } from 'node:util'
import { spread as spreadOf } from './stats.js'

const spread = (xs: number[]) => spreadOf(xs, 1)

const { values } = parseArgs({
  options: {
    tokens: { type: 'string', default: '50000' },
    samples: { type: 'string', default: '3' },
    sweep: { type: 'boolean', default: false },
  },
})
const tokens = Number(values.tokens)
const samples = Number(values.samples)

const { startStandalone } = await import('./standalone.js')
const { app, counting, close } = await startStandalone()
const { seedAccessTokens, seedMember } = await import('./seed.js')
const { createAccessToken } = await import('../shared/domain/access-tokens.js')
const { sweepRevokedTokens } = await import('../shared/data/token-revocation.js')

const request = (method: string, path: string, token: string) =>
  fetch(`${app.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } })

const wall: number[] = []
const cpu: number[] = []
const listAfter: number[] = []
let calls: Record<string, number> = {}
let sweep: { ms: number; steps: number; perSecond: number } | undefined
for (let sample = 1; sample <= samples; sample++) {
  const username = `bulk${sample}`
  const owner = { team: 'acme', username }
  await seedMember(owner)
  const own = (await createAccessToken(owner, { name: 'own' })).accessKey
  await seedAccessTokens(app.db, app.tableName, owner, tokens)
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const [reply, counted] = await counting(() => request('DELETE', '/api/tokens/delete-all', own))
  wall.push(performance.now() - t0)
  const used = process.cpuUsage(cpu0)
  cpu.push((used.user + used.system) / 1000)
  if (reply.status !== 204) throw new Error(`delete-all answered ${reply.status}`)
  calls = counted
  // Right after: the old token is refused, a new one lists nothing else.
  if ((await request('GET', '/api/tokens', own)).status !== 401) throw new Error('not revoked')
  const fresh = (await createAccessToken(owner, { name: 'own' })).accessKey
  const t2 = performance.now()
  const listed = (await (await request('GET', '/api/tokens', fresh)).json()) as {
    tokens: unknown[]
  }
  listAfter.push(performance.now() - t2)
  if (listed.tokens.length !== 1) throw new Error(`listed ${listed.tokens.length} after delete-all`)

  if (values.sweep && sample === 1) {
    const t1 = performance.now()
    let steps = 1
    while (await sweepRevokedTokens('acme', username, 1000 + tokens - 1)) steps++
    const ms = performance.now() - t1
    sweep = { ms: Math.round(ms), steps, perSecond: Math.round((tokens + 1) / (ms / 1000)) }
  }
}

console.log(
  JSON.stringify(
    {
      tokens,
      samples,
      deleteAllRequest: { wallMs: spread(wall), cpuMs: spread(cpu), calls },
      listRightAfterMs: spread(listAfter),
      ...(sweep && { sweepOfFirstSample: sweep }),
    },
    null,
    2,
  ),
)
await close()
