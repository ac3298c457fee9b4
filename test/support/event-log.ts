import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileSink } from '../../local/event-sink.js'
import { startStreamPoller } from '../../local/stream-poller.js'
import type { startTestApp } from './app.js'

/** What the consumer needs of an app: its client and its table. */
type App = Pick<Awaited<ReturnType<typeof startTestApp>>, 'sdk' | 'tableName'>

/**
 * The change stream consumed as `npm start` consumes it (polled every 50 ms here), every
 * published event appended to a file of its own that the test reads back. `audit` puts
 * the audit trail's sink in front, as the deployed stream function does.
 */
export async function startEventLog(
  app: App,
  options: { audit?: boolean; print?: (message: string) => void } = {},
) {
  const file = join(await mkdtemp(join(tmpdir(), 'latchkey-events-')), 'events.jsonl')
  const published = fileSink(file, options.print ?? (() => {}))
  const { auditingSink } = await import('../../shared/events/audit.js')
  const poller = await startStreamPoller({
    dynamo: app.sdk,
    tableName: app.tableName,
    sink: options.audit ? auditingSink(published, 400) : published,
    intervalMs: 50,
  })
  /** Everything published so far, as written (empty before the first event). */
  const text = () => readFile(file, 'utf8').catch(() => '')
  // Whole lines only: the poller may be half-way through appending the last one.
  const events = async () => {
    const written = await text()
    return written
      .slice(0, written.lastIndexOf('\n') + 1)
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
  }
  return { text, events, stop: () => poller.stop() }
}

export type EventLog = Awaited<ReturnType<typeof startEventLog>>
