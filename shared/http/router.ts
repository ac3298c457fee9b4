import type { RouteSpec } from '../routes.js'

export type RouteMatch<R extends RouteSpec> =
  | { kind: 'route'; route: R; params: Record<string, string> }
  | { kind: 'method_not_allowed'; allow: string[] }
  | { kind: 'not_found' }

interface Compiled<R> {
  route: R
  segments: string[]
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
 * come out still percent-encoded; the caller decodes them.
 */
export function createRouter<R extends RouteSpec>(routes: readonly R[]) {
  const compiled: Compiled<R>[] = routes
    .map((route) => {
      const segments = segmentsOf(route.path)
      return { route, segments, staticCount: segments.filter((s) => !s.startsWith('{')).length }
    })
    .sort((a, b) => b.staticCount - a.staticCount)

  const paramsFor = (segments: string[], actual: string[]) => {
    if (segments.length !== actual.length) return undefined
    const params: Record<string, string> = {}
    for (const [i, segment] of segments.entries()) {
      const value = actual[i] ?? ''
      if (value === '') return undefined
      if (segment.startsWith('{')) params[segment.slice(1, -1)] = value
      else if (segment !== value) return undefined
    }
    return params
  }

  return (method: string, path: string): RouteMatch<R> => {
    const actual = requestSegmentsOf(path)
    if (!actual) return { kind: 'not_found' }
    const allow = new Set<string>()
    for (const { route, segments } of compiled) {
      const params = paramsFor(segments, actual)
      if (!params) continue
      if (route.method === method) return { kind: 'route', route, params }
      allow.add(route.method)
    }
    return allow.size > 0
      ? { kind: 'method_not_allowed', allow: [...allow] }
      : { kind: 'not_found' }
  }
}
