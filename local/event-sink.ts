import { appendFile } from 'node:fs/promises'
import type { DomainEvent } from '../shared/events/events.js'
import type { EventSink, Outcome } from '../shared/events/publish.js'

/**
 * The local stand-in for EventBridge: each event as one JSON line in
 * `<data dir>/events.jsonl` (the EventBridge envelope's fields; no file for an
 * in-memory store), and one line printed.
 */
export function fileSink(
  path: string | undefined,
  print: (line: string) => void = console.log,
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
        print(`event ${event.type} ${where} by ${event.detail.actor}`)
      }
      return events.map(() => 'accepted')
    },
  }
}
