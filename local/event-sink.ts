import { appendFile } from 'node:fs/promises'
import type { DomainEvent } from '../shared/events/events.js'
import type { EventSink, Outcome } from '../shared/events/publish.js'
import { log } from '../shared/log.js'

type Note = (message: string, fields: Record<string, unknown>) => void

/**
 * The local stand-in for EventBridge: each event as one JSON line in
 * `<data dir>/events.jsonl` (the EventBridge envelope's fields; no file for an
 * in-memory store), and one log line (JSON, like the request lines; no payload).
 */
export function fileSink(
  path: string | undefined,
  note: Note = (message, fields) => log('info', message, fields),
): EventSink {
  return {
    async put(events: DomainEvent[]): Promise<Outcome[]> {
      const lines = events.map((event) =>
        JSON.stringify({
          id: event.id,
          source: 'latchkey',
          'detail-type': event.type,
          time: event.time,
          detail: event.detail,
        }),
      )
      if (path) await appendFile(path, `${lines.join('\n')}\n`, { mode: 0o600 })
      for (const event of events) {
        const where = [event.detail.team, event.detail.project].filter(Boolean).join('/')
        note(`event ${event.type} ${where} by ${event.detail.actor}`, {
          event: event.type,
          eventId: event.id,
          team: event.detail.team,
          project: event.detail.project,
          actor: event.detail.actor,
        })
      }
      return events.map(() => 'accepted')
    },
  }
}
