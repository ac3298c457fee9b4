import type { Context } from 'aws-lambda'
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
