import { defineConfig } from 'vitest/config'

/**
 * The unit tier alone, for Stryker (`npm run mutate`): mocked SDK, no I/O, so each
 * mutant costs milliseconds. Left out: tests that cover no mutated module and are
 * slow (bundling every function, synthesising the CDK app).
 */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
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
