import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'

export type HttpResult = APIGatewayProxyStructuredResultV2 & { statusCode: number }

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' }

export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}) =>
  ({
    statusCode,
    headers: { ...JSON_TYPE, ...headers },
    body: JSON.stringify(body),
  }) satisfies HttpResult

/** The reply of a route that answers 204. */
export const noContent = { status: 204 } as const

/**
 * A `/v1` list page: `{"list": [...]}` plus, while more remain, a `Link` to the next
 * page (a relative reference, resolved against the request's own URL).
 */
export function listReply<T>(
  path: string,
  page: { list: T[]; next?: { count: number; offset: string } },
) {
  const headers: Record<string, string> = {}
  if (page.next) {
    const query = new URLSearchParams({ count: String(page.next.count), offset: page.next.offset })
    headers.link = `<${path}?${query}>; rel="next"`
  }
  return { status: 200 as const, body: { list: page.list }, headers }
}
