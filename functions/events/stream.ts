import type { DynamoDBStreamEvent } from 'aws-lambda'
import { ConfigError, config } from '../../shared/config.js'
import { createEventBridgeClient, eventBridgeSink } from '../../shared/events/eventbridge-sink.js'
import type { StreamRecord } from '../../shared/events/events.js'
import { publishRecords } from '../../shared/events/publish.js'

/** Read and checked at cold start: the bus is this function's whole purpose. */
const busName = process.env.EVENT_BUS_NAME
if (!busName) throw new ConfigError('EVENT_BUS_NAME', 'is not set')
const sink = eventBridgeSink(createEventBridgeClient(config().region), busName)

/**
 * The table's change stream in, the contract's events out (not an HTTP route). It
 * answers a partial batch response, so one failure doesn't replay the whole batch.
 */
export const handler = (event: DynamoDBStreamEvent) =>
  publishRecords(event.Records as StreamRecord[], sink)
