import type { RouteSpec } from '../routes.js'

export type RouteMatch<R extends RouteSpec> =
  | { kind: 'route'; route: R; params: Record<string, string> }
  | { kind: 'method_not_allowed'; allow: string[] }
  | { kind: 'not_found' }

interface Compiled<R> {
  route: R
  /** Per segment: the literal it must equal, or the parameter's name it binds. */
  literals: (string | undefined)[]
  names: (string | undefined)[]
  staticCount: number
}

/** A route pattern's segments. */
const segmentsOf = (path: string) => path.split('/').filter(Boolean)

/**
 * A request path's segments, exactly as sent: nothing is decoded or resolved (a
 * `%2e%2e` or `..` segment is a value, never "up"), and an empty segment (`//`) is
 * kept, so it matches nothing. Only one trailing slash is dropped, as API Gateway does.
 */
const requestSegmentsOf = (path: string): string[] | undefined => {
  if (!path.startsWith('/')) return undefined
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
  return trimmed === '/' ? [] : trimmed.slice(1).split('/')
}

/**
 * Matches like API Gateway HTTP APIs, on the raw path: a literal segment beats a
 * `{param}`, so `/api/tokens/delete-all` wins over `/api/tokens/{tokenId}`. Parameters
 * come out still percent-encoded; the caller decodes them. Routes are grouped by their
 * number of segments, the only ones a path can match, in the same order of precedence.
 */
export function createRouter<R extends RouteSpec>(routes: readonly R[]) {
  const compiled: Compiled<R>[] = routes
    .map((route) => {
      const segments = segmentsOf(route.path)
      const param = (s: string) => s.startsWith('{')
      return {
        route,
        literals: segments.map((s) => (param(s) ? undefined : s)),
        names: segments.map((s) => (param(s) ? s.slice(1, -1) : undefined)),
        staticCount: segments.filter((s) => !param(s)).length,
      }
    })
    .sort((a, b) => b.staticCount - a.staticCount)
  const byLength: Compiled<R>[][] = []
  for (const entry of compiled) {
    const group = byLength[entry.literals.length] ?? []
    group.push(entry)
    byLength[entry.literals.length] = group
  }

  const matches = ({ literals }: Compiled<R>, actual: string[]) => {
    for (let i = 0; i < literals.length; i++) {
      const literal = literals[i]
      if (literal !== undefined && literal !== actual[i]) return false
    }
    return true
  }
  const paramsOf = ({ names }: Compiled<R>, actual: string[]) => {
    const params: Record<string, string> = {}
    for (let i = 0; i < names.length; i++) {
      const name = names[i]
      if (name !== undefined) params[name] = actual[i] ?? ''
    }
    return params
  }

  return (method: string, path: string): RouteMatch<R> => {
    const actual = requestSegmentsOf(path)
    // An empty segment (`//`) matches no route.
    if (!actual || actual.includes('')) return { kind: 'not_found' }
    let allow: Set<string> | undefined
    for (const entry of byLength[actual.length] ?? []) {
      if (!matches(entry, actual)) continue
      if (entry.route.method === method)
        return { kind: 'route', route: entry.route, params: paramsOf(entry, actual) }
      allow ??= new Set()
      allow.add(entry.route.method)
    }
    return allow ? { kind: 'method_not_allowed', allow: [...allow] } : { kind: 'not_found' }
  }
}
