import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda'

export type HttpResult = APIGatewayProxyStructuredResultV2 & { statusCode: number }

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' }

export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}) =>
  ({
    statusCode,
    headers: { ...JSON_TYPE, ...headers },
    body: JSON.stringify(body),
  }) satisfies HttpResult

export const noContent = (): HttpResult => ({ statusCode: 204, headers: {}, body: '' })

/**
 * A `/v1` list page: `{"list": [...]}` plus, while more remain, a `Link` to the next
 * page (a relative reference, resolved against the request's own URL).
 */
export function listPage(
  path: string,
  page: { list: unknown[]; next?: { count: number; offset: string } },
  extra: Record<string, string> = {},
): HttpResult {
  const headers: Record<string, string> = { ...extra }
  if (page.next) {
    const query = new URLSearchParams({ count: String(page.next.count), offset: page.next.offset })
    headers.link = `<${path}?${query}>; rel="next"`
  }
  return json(200, { list: page.list }, headers)
}
