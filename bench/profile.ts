/**
 * `npx tsx bench/profile.ts [route path] [requests] [in flight] [jwt|personal]`: a CPU profile of the
 * service's process (the local server, its handlers and SDK client) under load from the
 * bench's load client in its own process, summed by package: where a request's CPU
 * goes, in shares that hold still on a loaded machine. Writes bench/out/service.cpuprofile
 * (open it in Chrome's DevTools for the call tree). The caller is the service JWT (default)
 * or the admin's personal token; a path ending in `/tokens/verify` is POSTed, asking
 * about the admin's personal token, as the hot-path section's verify row does; one ending
 * in `/servers` enrolls a server by the bench's enrollment token (the enrollment row).
 */
import { fork } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import type { Load } from './load-client.js'

const [path = '/v1/teams/acme/projects', requests = '3000', inFlight = '16', caller = 'jwt'] =
  process.argv.slice(2)
const { logAsDeployed, machine, startBench } = await import('./harness.js')
const output = await logAsDeployed()
const bench = await startBench({ quick: true })
const client = fork(new URL('./load-client.ts', import.meta.url).pathname, [], {
  execArgv: ['--import', 'tsx'],
})
const verify = path.endsWith('/tokens/verify')
// A path ending in `/servers` enrolls a new server each request, as the enrollment row does.
const enroll = path.endsWith('/servers')
const run = (count: number) =>
  new Promise((resolve) => {
    client.once('message', resolve)
    const load: Load = {
      id: 0,
      base: bench.app.url,
      ...(verify
        ? { method: 'POST', body: { fixed: { token: bench.token } } }
        : enroll
          ? { method: 'POST', body: 'hostname' }
          : { method: 'GET' }),
      path,
      tokens: [
        enroll
          ? bench.enrollmentToken.token
          : caller === 'personal'
            ? bench.token
            : bench.serviceToken,
      ],
      count,
      inFlight: Number(inFlight),
    }
    client.send(load)
  })
await run(500) // warm
// CPU per request without the profiler (which adds its own): the median of 3 rounds.
const unprofiled: number[] = []
for (let i = 0; i < 3; i++) {
  const before = process.cpuUsage()
  await run(Number(requests))
  const spent = process.cpuUsage(before)
  unprofiled.push(Math.round((spent.user + spent.system) / Number(requests)))
}
unprofiled.sort((a, b) => a - b)
const session = new Session()
session.connect()
await session.post('Profiler.enable')
await session.post('Profiler.start')
const cpu = process.cpuUsage()
const result = await run(Number(requests))
const used = process.cpuUsage(cpu)
const { profile } = await session.post('Profiler.stop')
await writeFile('bench/out/service.cpuprofile', JSON.stringify(profile))

// Self time by package (node_modules), Node's own modules, our files, and native frames.
const time = new Map<number, number>()
profile.samples?.forEach((id, i) => {
  time.set(id, (time.get(id) ?? 0) + (profile.timeDeltas?.[i] ?? 0))
})
const groups = new Map<string, number>()
/** Self time by function outside the SDK and Node's HTTP: Latchkey's own, and async_hooks. */
const functions = new Map<string, number>()
let total = 0
for (const node of profile.nodes) {
  const spent = time.get(node.id) ?? 0
  total += spent
  const { url: at, functionName, lineNumber } = node.callFrame
  if (/\/(shared|local|functions)\/|async_hooks/.test(at) && !at.includes('node_modules/')) {
    const where = at.replace(/^.*?\/(shared|local|functions|internal)\//, '$1/')
    const name = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`
    functions.set(name, (functions.get(name) ?? 0) + spent)
  }
  const url = node.callFrame.url
  const inModules = url.split('node_modules/')[1]
  const group = inModules
    ? inModules
        .split('/')
        .slice(0, inModules.startsWith('@') ? 2 : 1)
        .join('/')
    : url.startsWith('node:')
      ? url.split('/').slice(0, 2).join('/')
      : url.includes('/bench/') || url === ''
        ? `(${node.callFrame.functionName || 'native'})`
        : url.replace(/^.*?\/(shared|local|functions)\//, '$1/')
  groups.set(group, (groups.get(group) ?? 0) + spent)
}
output.report.log({ machine: machine(), path, caller, requests, inFlight, result })
output.report.log(
  `CPU of the service's process: ${unprofiled.join(', ')} µs a request unprofiled (3 rounds), ${Math.round((used.user + used.system) / Number(requests))} profiled`,
)
output.report.table(
  [...groups]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([group, spent]) => ({ group, share: `${((spent / total) * 100).toFixed(1)}%` })),
)
output.report.table(
  [...functions]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([name, spent]) => ({ function: name, share: `${((spent / total) * 100).toFixed(2)}%` })),
)
client.disconnect()
output.restore()
await bench.close()
