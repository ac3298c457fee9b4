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
