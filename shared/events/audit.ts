import { type AuditEntry, appendAudit } from '../data/audit.js'
import type { DomainEvent } from './events.js'
import type { EventSink } from './publish.js'

/**
 * An event as it is published (EventBridge's envelope; `events.jsonl` locally) and
 * as the audit trail hands it back. Its detail is the event's own, picked field by
 * field (events.ts), so it holds no secret or hash.
 */
export const publishedEvent = (event: DomainEvent) => ({
  id: event.id,
  source: 'latchkey',
  'detail-type': event.type,
  time: event.time,
  detail: event.detail,
})

export const auditEntry = (event: DomainEvent): AuditEntry => ({
  id: event.id,
  team: event.detail.team,
  type: event.type,
  actor: event.detail.actor,
  time: event.time,
  event: JSON.stringify(publishedEvent(event)),
})

/**
 * Keeps every event in its team's audit trail before handing it on to `sink`: a
 * published event is always in the trail, and a batch whose trail write fails is
 * retried whole (the stream redelivers it; the trail keeps each event id once).
 */
export function auditingSink(sink: EventSink, retentionDays: number): EventSink {
  return {
    async put(events) {
      await appendAudit(events.map(auditEntry), retentionDays)
      return sink.put(events)
    },
  }
}
