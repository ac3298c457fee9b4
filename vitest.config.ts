import { defineConfig } from 'vitest/config'

const env = {
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  LOG_LEVEL: 'warn',
}

/**
 * Five tiers that run alone or together: `unit` (mocked SDK, no I/O), `integration`
 * (HTTP to the local server, on one DynamoDB Local per run), `fuzz` (property-based
 * requests to every route, on its own DynamoDB Local), `crash` (`npm start` killed
 * with SIGKILL, on its own DynamoDB Local) and `e2e` (the web console in a real
 * browser, against the same local server), the last three one after the other.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          setupFiles: ['test/unit/setup.ts'],
          env: { ...env, TABLE_NAME: 'latchkey-unit', AWS_REGION: 'eu-west-1' },
          // CDK synths and bundles take seconds alone, far longer on a loaded 2-core machine.
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          setupFiles: ['test/integration/setup.ts'],
          pool: 'forks',
          // One DynamoDB Local and 2 cores: files in parallel only contend (and time out).
          fileParallelism: false,
          env: { ...env, AWS_REGION: 'local' },
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Property-based fuzzing of every route (issue 16): its own tier, also in `npm test`.
        test: {
          name: 'fuzz',
          include: ['test/fuzz/**/*.test.ts'],
          // After the other tiers, not beside them: on 2 cores it would starve their timeouts.
          sequence: { groupOrder: 1 },
          globalSetup: ['test/integration/global-setup.ts'],
          pool: 'forks',
          env: { ...env, AWS_REGION: 'local' },
          testTimeout: 110_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'crash',
          include: ['test/crash/**/*.test.ts'],
          pool: 'forks',
          // After the fuzz tier, alone: its own DynamoDB Local, killed 20 times.
          sequence: { groupOrder: 2 },
          env: { ...env, AWS_REGION: 'local' },
          testTimeout: 240_000,
        },
      },
      {
        test: {
          // The web console in Debian's Chromium, against the real local server.
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // Last, alone: a browser and a DynamoDB Local beside the other tiers only make
          // them all slow on 2 cores.
          sequence: { groupOrder: 3 },
          globalSetup: ['test/e2e/global-setup.ts'],
          pool: 'forks',
          fileParallelism: false,
          env: { ...env, AWS_REGION: 'local' },
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
})
