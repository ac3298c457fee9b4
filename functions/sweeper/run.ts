import type { Context } from 'aws-lambda'
import { migrateIndexKeys } from '../../shared/domain/index-migration.js'
import { sweep } from '../../shared/domain/sweeper.js'
import { log, withLogContext } from '../../shared/log.js'
import { putMetrics } from '../../shared/metrics.js'

/**
 * The sweeper (not an HTTP route): an EventBridge schedule on AWS, a timer in
 * `npm start` locally, both calling this. Its events reach the bus through the
 * change stream like every other event; it publishes nothing itself.
 */
export const handler = (_event?: unknown, context?: Context, now = new Date()) =>
  withLogContext(
    { functionName: context?.functionName, awsRequestId: context?.awsRequestId },
    async () => {
      // First, items written before the index get its keys (bounded; one GetItem once
      // done), so this very sweep sees them.
      const migration = await migrateIndexKeys(now)
      if (!migration.done || migration.scanned > 0)
        log('info', 'index migration', { event: 'indexMigration', ...migration })
      const report = await sweep({ now })
      log('info', 'sweep', { event: 'sweep', ...report })
      putMetrics([
        { name: 'SweepWarned', value: report.warned },
        { name: 'SweepExpired', value: report.expired },
        { name: 'SweepRevoked', value: report.revoked },
      ])
      return report
    },
  )
