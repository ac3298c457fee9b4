import { readFileSync } from 'node:fs'
import type { Context } from 'aws-lambda'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type StreamRecord, toEvent } from '../../shared/events/events.js'
import { publishRecords } from '../../shared/events/publish.js'
import { emf, setMetricsWriter } from '../../shared/metrics.js'
import { invoke } from '../support/invoke.js'

/** Logs (Powertools Logger's keys) and metrics (CloudWatch EMF), as an operator reads them. */

const recorded: StreamRecord[] = JSON.parse(
  readFileSync(new URL('../fixtures/stream-records.json', import.meta.url), 'utf8'),
)

let lines: Record<string, unknown>[] = []
let metrics: Record<string, unknown>[] = []

beforeEach(() => {
  lines = []
  metrics = []
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(
      ...String(chunk)
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    )
    return true
  })
  setMetricsWriter((line) => metrics.push(JSON.parse(line)))
})
afterEach(() => {
  vi.unstubAllEnvs()
  vi.restoreAllMocks()
  setMetricsWriter(undefined)
})

/** A fresh copy of the logger, configured by the environment as at a cold start. */
async function freshLog(env: Record<string, string>) {
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value)
  vi.resetModules()
  return import('../../shared/log.js')
}

const metricNames = (doc: Record<string, unknown>) =>
  (doc._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }).CloudWatchMetrics.flatMap(
    (directive) => directive.Metrics.map((m) => m.Name),
  )

describe('logs', () => {
  it('carries the Powertools keys: service, cold start, function, request, correlation and trace ids', async () => {
    const { log, withLogContext } = await freshLog({
      LOG_LEVEL: 'info',
      POWERTOOLS_SERVICE_NAME: 'latchkey-test',
      AWS_LAMBDA_FUNCTION_NAME: 'Latchkey-dev-TokensList',
      _X_AMZN_TRACE_ID:
        'Root=1-6743a1b2-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1',
    })
    const context = { awsRequestId: 'req-1', correlationId: 'trace-abc', fallback: 'api-1' }
    withLogContext(context, () => log('info', 'first'))
    withLogContext({ ...context, awsRequestId: 'req-2', correlationId: 'bad id\n{' }, () =>
      log('info', 'second'),
    )
    expect(lines[0]).toMatchObject({
      level: 'info',
      message: 'first',
      service: 'latchkey-test',
      cold_start: true,
      function_name: 'Latchkey-dev-TokensList',
      function_request_id: 'req-1',
      correlation_id: 'trace-abc',
      xray_trace_id: '1-6743a1b2-0123456789abcdef01234567',
    })
    expect(Date.parse(String(lines[0]?.time))).not.toBeNaN()
    // Warm now; a correlation id that is not plain is replaced by the API's request id.
    expect(lines[1]).toMatchObject({
      cold_start: false,
      function_request_id: 'req-2',
      correlation_id: 'api-1',
    })
  })

  it("keeps each invocation's keys apart when several run at once, never lending one's to another", async () => {
    const { log, withLogContext } = await freshLog({ LOG_LEVEL: 'info' })
    let release = () => {}
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const first = withLogContext({ awsRequestId: 'req-1' }, async (invocation) => {
      log('info', 'alone') // the only invocation running: deeper code's lines carry it
      await held
      log('info', 'explicit', {}, invocation)
      log('info', 'deep, two running')
    })
    const second = withLogContext({ awsRequestId: 'req-2' }, async (invocation) => {
      log('info', 'explicit', {}, invocation)
      release()
    })
    await Promise.all([first, second])
    log('info', 'after')
    const ids = lines.map((line) => [line.message, line.function_request_id])
    expect(ids).toEqual([
      ['alone', 'req-1'],
      ['explicit', 'req-2'],
      ['explicit', 'req-1'],
      ['deep, two running', undefined],
      ['after', undefined],
    ])
  })

  it('takes its level from LOG_LEVEL, and debug-samples the share POWERTOOLS_LOGGER_SAMPLE_RATE names', async () => {
    const quiet = await freshLog({ LOG_LEVEL: 'WARN' })
    quiet.log('info', 'dropped')
    quiet.log('warn', 'kept')
    expect(lines.map((l) => l.message)).toEqual(['kept'])

    lines = []
    const sampled = await freshLog({ LOG_LEVEL: 'error', POWERTOOLS_LOGGER_SAMPLE_RATE: '1' })
    sampled.log('debug', 'outside an invocation: not sampled')
    sampled.withLogContext({}, () => sampled.log('debug', 'sampled'))
    expect(lines).toEqual([expect.objectContaining({ message: 'sampled', sampling_rate: 1 })])

    lines = []
    const never = await freshLog({ LOG_LEVEL: 'error', POWERTOOLS_LOGGER_SAMPLE_RATE: '0' })
    never.withLogContext({}, () => never.log('debug', 'not sampled'))
    expect(lines).toEqual([])
  })
})

describe('metrics (EMF)', () => {
  it('writes a document CloudWatch accepts: every dimension and metric a top-level field, with totals', () => {
    const doc = emf([{ name: 'Latency', value: 12, unit: 'Milliseconds' }], {
      route: 'GET /x',
      status_class: '2xx',
    })
    const aws = doc._aws as {
      Timestamp: number
      CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: unknown[] }[]
    }
    expect(aws.Timestamp).toBeGreaterThan(Date.now() - 5000)
    expect(aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'Latchkey',
        // all of them, each alone, and the total
        Dimensions: [
          ['service', 'route', 'status_class'],
          ['service', 'route'],
          ['service', 'status_class'],
          ['service'],
        ],
        Metrics: [{ Name: 'Latency', Unit: 'Milliseconds' }],
      },
    ])
    expect(doc).toMatchObject({
      service: 'latchkey',
      route: 'GET /x',
      status_class: '2xx',
      Latency: 12,
    })
  })

  it('counts each request by route and status class, and each 401 by what was presented', async () => {
    vi.stubEnv('LOG_LEVEL', 'info')
    vi.resetModules() // the handler and the metrics module it uses, as at a cold start
    const fresh = await import('../../shared/metrics.js')
    fresh.setMetricsWriter((line) => metrics.push(JSON.parse(line)))
    const { handler } = await import('../../functions/tokens/list.js')
    const context = { functionName: 'TokensList', awsRequestId: 'lambda-1' } as Context
    const call = (headers: Record<string, string>) =>
      invoke((event) => handler(event, context), {
        method: 'GET',
        url: '/api/tokens',
        routeKey: 'GET /api/tokens',
        headers,
      })
    await call({})
    await call({ authorization: 'Bearer lk_garbage' })
    await call({ authorization: 'Bearer a.b.c' })
    const requests = metrics.filter((m) => metricNames(m).includes('Requests'))
    expect(requests).toHaveLength(3)
    expect(requests[0]).toMatchObject({
      route: 'GET /api/tokens',
      status_class: '4xx',
      Requests: 1,
    })
    expect(metrics.filter((m) => metricNames(m).includes('AuthFailures'))).toEqual([
      expect.objectContaining({ reason: 'missing', AuthFailures: 1 }),
      expect.objectContaining({ reason: 'personal_token', AuthFailures: 1 }),
      expect.objectContaining({ reason: 'service_token', AuthFailures: 1 }),
    ])
    // The request line names the invocation, and never the credential.
    const request = lines.find((l) => l.message === 'request')
    expect(request).toMatchObject({ function_request_id: 'lambda-1', status: 401 })
    expect(JSON.stringify(lines)).not.toContain('lk_garbage')
  })

  it('counts events published and failed per stream batch, and the batch iterator age', async () => {
    const ok = { put: async (events: unknown[]) => events.map(() => 'accepted' as const) }
    await publishRecords(recorded, ok, async () => {})
    const refused = { put: async (events: unknown[]) => events.map(() => 'rejected' as const) }
    await publishRecords(recorded.filter((r) => toEvent(r)).slice(0, 2), refused, async () => {})
    const published = metrics.filter((m) => metricNames(m).includes('EventsPublished'))
    expect(published.map((m) => [m.EventsPublished, m.EventsFailed])).toEqual([
      [9, 0],
      [0, 2],
    ])

    vi.stubEnv('EVENT_BUS_NAME', 'latchkey-bus')
    vi.resetModules()
    const stream = await import('../../functions/events/stream.js')
    const at = (seconds: number) => ({ dynamodb: { ApproximateCreationDateTime: seconds } })
    expect(stream.iteratorAgeMs([at(100), at(95)] as StreamRecord[], 101_500)).toBe(6500)
  })
})
