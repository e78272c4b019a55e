// Jest runs the TypeScript sources as native ES modules (the Lambda dependencies are ESM-only).
// ts-jest only transpiles; `npm run typecheck` does the type checking once for the whole tree.
const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }],
  },
  setupFiles: ['<rootDir>/tests/support/env.ts'],
};

// `npm run test:reliability` (SLUICE_SUITE=reliability): faults, bad input, fuzz, load and
// security against clusters each test file starts for itself (TLS, ACL users, maxmemory).
// Slow and separate: `npm test` does not run it.
const reliability = {
  ...shared,
  displayName: 'reliability',
  testMatch: ['<rootDir>/tests/reliability/**/*.test.ts'],
};

export default {
  // Integration tests load real data into a real cluster; unit tests finish long before this.
  testTimeout: 120_000,
  projects: process.env.SLUICE_SUITE === 'reliability' ? [reliability] : [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/tests/unit/**/*.test.ts'] },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/tests/integration/**/*.test.ts', '<rootDir>/tests/statemachine/**/*.test.ts', '<rootDir>/tests/cli/**/*.test.ts'],
      globalSetup: '<rootDir>/tests/support/global-setup.ts',
      globalTeardown: '<rootDir>/tests/support/global-teardown.ts',
    },
  ],
};
