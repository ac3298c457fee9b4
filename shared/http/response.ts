import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'

export type HttpResult = APIGatewayProxyStructuredResultV2 & { statusCode: number }

/** The content type of every JSON answer (copied into each answer's headers, never changed). */
export const JSON_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json; charset=utf-8',
}

export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}) =>
  ({
    statusCode,
    headers: { ...JSON_HEADERS, ...headers },
    body: JSON.stringify(body),
  }) satisfies HttpResult

/** The reply of a route that answers 204. */
export const noContent = { status: 204 } as const

/**
 * A `/v1` list page: `{"list": [...]}` plus, while more remain, a `Link` to the next
 * page (a relative reference, resolved against the request's own URL), and where a
 * list pages backward too, to the previous one (`prev=true`, as ASA's clients send it).
 * The last page has no `Link` at all, not even `rel="prev"`: oktapam's ListProjects
 * (client/project.go) stops only on an empty `Link`, and given one without a next it
 * requests the base URL itself, failing the data source.
 */
export function listReply<T>(
  path: string,
  page: {
    list: T[]
    next?: { count: number; offset: string }
    prev?: { count: number; offset: string }
  },
  /** Filters the next page must be asked with again (their cursor is bound to them). */
  filters: Record<string, string | undefined> = {},
) {
  const headers: Record<string, string> = {}
  const links: string[] = []
  const kept = Object.entries(filters).filter((entry): entry is [string, string] => !!entry[1])
  if (page.next) {
    const query = new URLSearchParams({ count: String(page.next.count), offset: page.next.offset })
    for (const [name, value] of kept) query.set(name, value)
    links.push(`<${path}?${query}>; rel="next"`)
  }
  if (page.prev && page.next) {
    const query = new URLSearchParams({
      count: String(page.prev.count),
      offset: page.prev.offset,
      prev: 'true',
    })
    links.push(`<${path}?${query}>; rel="prev"`)
  }
  if (links.length > 0) headers.link = links.join(', ')
  return { status: 200 as const, body: { list: page.list }, headers }
}
