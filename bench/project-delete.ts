/**
 * Project delete at scale (issue 16): the request path's time and calls with N servers,
 * and how fast the change stream's cascade behind it deletes them, step by step.
 * Seeds straight into DynamoDB Local with batch writes (enrolling N servers through the
 * API would measure enrollment). Its own file, apart from run.ts, like revocation.ts.
 *
 *   npx tsx bench/project-delete.ts [--servers 20000,50000] [--samples 3] [--cascade]
 *
 * Request-path rows are the median (min-max) of the samples, each on a fresh project.
 * `--cascade` also times the deletes behind the first sample of each size, as the
 * stream would run them (steps of PROJECT_DELETE_STEP children, one after the other).
 */
import { parseArgs } from 'node:util'
import { spread as spreadOf } from './stats.js'

const spread = (xs: number[]) => spreadOf(xs, 1)

const { values } = parseArgs({
  options: {
    servers: { type: 'string', default: '20000,50000' },
    samples: { type: 'string', default: '3' },
    cascade: { type: 'boolean', default: false },
  },
})
const sizes = String(values.servers).split(',').map(Number)
const samples = Number(values.samples)

const { startStandalone } = await import('./standalone.js')
const { app, counting, close } = await startStandalone()
const { seedServers } = await import('./seed.js')
const { deleteProjectStep, finishProjectDelete, getProject } = await import(
  '../shared/data/projects.js'
)

const token = app.admin.token
const request = (method: string, path: string, body?: unknown) =>
  fetch(`${app.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })

const rows = []
for (const servers of sizes) {
  const wall: number[] = []
  const cpu: number[] = []
  let calls: Record<string, number> = {}
  let cascade: { ms: number; steps: number; perSecond: number } | undefined
  for (let sample = 1; sample <= samples; sample++) {
    const project = `bulk-${servers}-${sample}`
    if ((await request('POST', '/v1/teams/acme/projects', { name: project })).status !== 201)
      throw new Error(`could not create ${project}`)
    await seedServers(app.db, app.tableName, { team: 'acme', project }, servers)
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const [reply, counted] = await counting(() =>
      request('DELETE', `/v1/teams/acme/projects/${project}`),
    )
    wall.push(performance.now() - t0)
    const used = process.cpuUsage(cpu0)
    cpu.push((used.user + used.system) / 1000)
    if (reply.status !== 204) throw new Error(`project delete answered ${reply.status}`)
    calls = counted
    // Right after: gone to readers, though every server is still stored.
    const listed = await request('GET', `/v1/teams/acme/projects/${project}/servers`)
    if (listed.status !== 404) throw new Error(`listed servers after delete: ${listed.status}`)

    if (values.cascade && sample === 1) {
      const marked = await getProject('acme', project)
      if (!marked?.deleting) throw new Error('not marked')
      const deletion = {
        team: 'acme',
        project,
        deletedBy: marked.deletingBy ?? 'bench',
        deletedAt: marked.deleting,
      }
      const t1 = performance.now()
      let steps = 1
      while ((await deleteProjectStep(deletion)) === 'more') steps++
      await finishProjectDelete(deletion)
      const ms = performance.now() - t1
      cascade = { ms: Math.round(ms), steps, perSecond: Math.round(servers / (ms / 1000)) }
    }
  }
  rows.push({
    servers,
    samples,
    deleteRequest: { wallMs: spread(wall), cpuMs: spread(cpu), calls },
    ...(cascade && { cascadeOfFirstSample: cascade }),
  })
}
console.log(JSON.stringify(rows, null, 2))
await close()
