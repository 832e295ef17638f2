import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/postgres-global-setup.ts'],
    // Integration and e2e suites start real PostgreSQL servers; two cores cannot run many at once.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    allowOnly: false,
    reporters: ['default'],
    env: {
      // The AWS SDK warns once per process that its releases after January 2027 need Node >= 22.
      // The Lambdas run nodejs24.x; the local tools and this suite support Node 20 (README), so the
      // notice is known here and only noise in test output.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  },
});
