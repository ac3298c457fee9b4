import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge'
import type { DomainEvent } from './events.js'
import type { EventSink, Outcome } from './publish.js'

export const EVENT_SOURCE = 'latchkey'

/** Entry errors that a later try can fix; anything else (a malformed entry) can't. */
const RETRYABLE = new Set(['InternalFailure', 'ThrottlingException', 'ServiceUnavailable'])

/** Publishes to an EventBridge bus: `source` latchkey, `detail-type` the event type. */
export function eventBridgeSink(client: EventBridgeClient, busName: string): EventSink {
  return {
    async put(events: DomainEvent[]): Promise<Outcome[]> {
      const { Entries = [] } = await client.send(
        new PutEventsCommand({
          Entries: events.map((event) => ({
            EventBusName: busName,
            Source: EVENT_SOURCE,
            DetailType: event.type,
            Time: new Date(event.time),
            Detail: JSON.stringify({ ...event.detail, event_id: event.id, time: event.time }),
          })),
        }),
      )
      return events.map((_, i) => {
        const code = Entries[i]?.ErrorCode
        if (!code) return 'accepted'
        return RETRYABLE.has(code) ? 'retryable' : 'rejected'
      })
    },
  }
}

export const createEventBridgeClient = (region: string) => new EventBridgeClient({ region })
