'use strict';
/**
 * Runs the forged-token suite, tests/lib/tokens.test.ts, unchanged, against a verifier prototype of bench/:
 * the suite's (and its support's) `../../lib/tokens` becomes bench/tokens-under-test.ts, which picks the
 * verifier named by BENCH_VERIFIER. Run: BENCH_VERIFIER=keyobject npx jest --config bench/jest.prototype.config.js
 * (bench/authorizer.ts does, for table 1).
 */
const path = require('node:path');
const { projects } = require('../jest.config.js');

const unit = projects.find((project) => project.displayName === 'unit');

module.exports = {
  ...unit,
  displayName: `tokens.test.ts against ${process.env.BENCH_VERIFIER || 'jose'}`,
  rootDir: path.resolve(__dirname, '..'),
  testMatch: ['<rootDir>/tests/lib/tokens.test.ts'],
  // Only the suite's own imports (tests/lib, tests/support) are two levels deep; bench/ imports ../lib/tokens.
  moduleNameMapper: { '^\\.\\./\\.\\./lib/tokens$': '<rootDir>/bench/tokens-under-test.ts' },
};
