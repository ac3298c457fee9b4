import { defineConfig } from 'vitest/config'

// MUTATE_TESTS=test/unit/a.test.ts,... narrows the tier to a module's own test files, so
// Stryker's dry run and each mutant's run on the shared 2 cores cost only what they judge.
const scoped = (process.env.MUTATE_TESTS ?? '').split(',').filter(Boolean)

/**
 * The unit tier alone, for Stryker (`npm run mutate`): mocked SDK, no I/O, so each
 * mutant costs milliseconds. Left out: tests that cover no mutated module and are
 * slow (bundling every function, synthesising the CDK app).
 */
export default defineConfig({
  test: {
    include: scoped.length > 0 ? scoped : ['test/unit/**/*.test.ts'],
    exclude: ['test/unit/bundles.test.ts', 'test/unit/infra.test.ts'],
    setupFiles: ['test/unit/setup.ts'],
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      LOG_LEVEL: 'warn',
      TABLE_NAME: 'latchkey-unit',
      AWS_REGION: 'eu-west-1',
    },
  },
})
