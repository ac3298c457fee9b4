import type { Context, DynamoDBStreamEvent } from 'aws-lambda'
import { ConfigError, readConfig } from '../../shared/config.js'
import { sweepRecords } from '../../shared/domain/sweeps.js'
import { auditingSink } from '../../shared/events/audit.js'
import { createEventBridgeClient, eventBridgeSink } from '../../shared/events/eventbridge-sink.js'
import type { StreamRecord } from '../../shared/events/events.js'
import { publishRecords } from '../../shared/events/publish.js'
import { withLogContext } from '../../shared/log.js'
import { putMetrics } from '../../shared/metrics.js'

/** Read and checked at cold start: the bus is this function's whole purpose. */
const busName = process.env.EVENT_BUS_NAME
if (!busName) throw new ConfigError('EVENT_BUS_NAME', 'is not set')
const { region, auditRetentionDays } = readConfig(process.env)
// Every event is also kept in its team's audit trail (shared/events/audit.ts).
const sink = auditingSink(
  eventBridgeSink(createEventBridgeClient(region), busName),
  auditRetentionDays,
)

/** How far behind the stream this batch is: now minus its oldest record's creation. */
export function iteratorAgeMs(records: StreamRecord[], now = Date.now()): number {
  const oldest = Math.min(
    ...records.map((r) => r.dynamodb?.ApproximateCreationDateTime ?? now / 1000),
  )
  return Math.max(0, Math.round(now - oldest * 1000))
}

/**
 * The table's change stream in, the contract's events out (not an HTTP route). It
 * answers a partial batch response, so one failure doesn't replay the whole batch.
 * First it runs the deletes a delete-all or a project's deletion left to do
 * (sweeps.ts), as many steps as the time left allows: a failed step fails the batch,
 * which the stream hands again (steps are idempotent).
 */
export const handler = (event: DynamoDBStreamEvent, context?: Context) =>
  withLogContext(
    { functionName: context?.functionName, awsRequestId: context?.awsRequestId },
    async () => {
      const records = event.Records as StreamRecord[]
      if (records.length > 0)
        putMetrics([
          { name: 'StreamIteratorAge', value: iteratorAgeMs(records), unit: 'Milliseconds' },
        ])
      // Steps stop while time is left to publish: the rest are passed on (sweeps.ts).
      await sweepRecords(records, context && (() => context.getRemainingTimeInMillis()))
      return publishRecords(records, sink)
    },
  )
