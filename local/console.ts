import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ConsoleFile } from '../web/build.js'

/**
 * The web console, served by the local server at `/` beside the API. Built in
 * memory on first request (esbuild, offline); only its exact paths are served, so
 * every other path still reaches the route table and its fallback.
 */
let built: Promise<{ files: Map<string, ConsoleFile>; headers: Record<string, string> }> | undefined

const load = () => {
  built ??= import('../web/build.js').then(async (web) => ({
    files: await web.buildConsole(),
    headers: web.SECURITY_HEADERS,
  }))
  return built
}

/** Paths the console may own: the page and its hashed assets (checked against the build). */
const mayServe = (path: string) =>
  path === '/' || path === '/index.html' || path.startsWith('/assets/')

/** Whether a request may be the console's (else it goes straight to the API, with no await). */
export const isConsolePath = (method: string, path: string) =>
  (method === 'GET' || method === 'HEAD') && mayServe(path)

/** Answers a console request and returns true, or returns false for the API to answer. */
export async function serveConsole(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const method = req.method ?? 'GET'
  if (method !== 'GET' && method !== 'HEAD') return false
  // The raw path as sent (never parsed as a URL, so `//host/` is not `/`), matched exactly.
  const path = (req.url ?? '/').split('?')[0] ?? '/'
  if (!mayServe(path)) return false
  const { files, headers } = await load()
  const file = files.get(path === '/index.html' ? '/' : path)
  if (!file) return false
  res.writeHead(200, {
    ...headers,
    'content-type': file.type,
    'content-length': String(file.body.length),
    'cache-control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  })
  res.end(method === 'HEAD' ? undefined : file.body)
  return true
}
