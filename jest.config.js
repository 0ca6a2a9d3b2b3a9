/** @type {import('jest').Config} */
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)s$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
  // jose, oauth4webapi, openid-client and cookie ship ESM only; let swc turn them into CommonJS for jest.
  transformIgnorePatterns: ['/node_modules/(?!(jose|oauth4webapi|openid-client|cookie)/)'],
  setupFiles: ['<rootDir>/tests/setup-env.ts'],
  testTimeout: 30000,
};

/**
 * Three projects, so that `npx jest tests/lib` starts no server: the e2e project boots the shared local
 * servers and the package project runs `serverless package` once, both in the background while the unit
 * tests run (their global setups only spawn; the tests wait for what they read).
 */
module.exports = {
  testTimeout: 30000,
  // Most of the e2e and package time is waiting on child processes: a third worker keeps both cores busy.
  maxWorkers: 3,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/tests/!(e2e|package)/**/*.test.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/tests/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/tests/support/global-e2e.ts',
      globalTeardown: '<rootDir>/tests/support/global-e2e-teardown.ts',
    },
    {
      ...common,
      displayName: 'package',
      testMatch: ['<rootDir>/tests/package/**/*.test.ts'],
      globalSetup: '<rootDir>/tests/support/global-package.ts',
      globalTeardown: '<rootDir>/tests/support/global-package-teardown.ts',
    },
  ],
};
