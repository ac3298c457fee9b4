/**
 * GitHub's secret-scanning partner request: a JSON array of reported tokens (up to
 * 1,000 here). Fields GitHub may add later are accepted and ignored.
 */
export const LeakReportBody = {
  $id: 'LeakReportBody',
  type: 'array',
  minItems: 1,
  maxItems: 1000,
  items: {
    type: 'object',
    required: ['token', 'type'],
    properties: {
      token: { type: 'string', minLength: 1, maxLength: 4096 },
      type: { type: 'string', minLength: 1, maxLength: 256 },
      url: { type: 'string', maxLength: 4096 },
      source: { type: 'string', maxLength: 256 },
    },
  },
} as const
