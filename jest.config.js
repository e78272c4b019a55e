// Jest runs the TypeScript sources as native ES modules (the Lambda dependencies are ESM-only).
// ts-jest only transpiles; `npm run typecheck` does the type checking once for the whole tree.
//
// The tiers (docs/testing.md) follow from where a test file is and how it is named, so a new
// test lands in its tier without an edit here:
//   tests/unit/**                    unit: no network                         npm test
//   tests/<any other folder>/**      integration: the one shared cluster      npm test
//   **/*.e2e.test.ts                 end to end: the CLI as a child process,  npm run test:e2e
//                                    and scale runs too slow for npm test
//   tests/reliability/**             reliability: clusters of their own       npm run test:reliability
// SLUICE_SUITE picks the tier for the scripts that are not `npm test`.
const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }],
  },
  setupFiles: ['<rootDir>/tests/support/env.ts'],
};

// One Redis Cluster + s3rver for the whole run, shared by every file (tests/support/global-setup.ts).
const sharedCluster = {
  globalSetup: '<rootDir>/tests/support/global-setup.ts',
  globalTeardown: '<rootDir>/tests/support/global-teardown.ts',
};

const E2E = '\\.e2e\\.test\\.ts$';

const unit = {
  ...shared,
  displayName: 'unit',
  testMatch: ['<rootDir>/tests/unit/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', E2E],
};

// Everything under tests/ that is not unit, reliability or end to end: the integration tests,
// the state machine runs and the CLI commands called in process.
const integration = {
  ...shared,
  ...sharedCluster,
  displayName: 'integration',
  testMatch: ['<rootDir>/tests/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/tests/unit/', '<rootDir>/tests/reliability/', E2E],
};

// `npm run test:e2e`: the CLI as a user starts it (a child process), signals, launchers, `sluice up`.
const e2e = {
  ...shared,
  ...sharedCluster,
  displayName: 'e2e',
  testMatch: ['<rootDir>/tests/**/*.e2e.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/tests/reliability/'],
};

// `npm run test:reliability`: faults, bad input, fuzz, load and security against clusters each
// test file starts for itself (TLS, ACL users, maxmemory).
const reliability = {
  ...shared,
  displayName: 'reliability',
  testMatch: ['<rootDir>/tests/reliability/**/*.test.ts'],
};

const SUITES = { fast: [unit, integration], e2e: [e2e], reliability: [reliability] };
const suite = process.env.SLUICE_SUITE ?? 'fast';
if (!(suite in SUITES)) throw new Error(`SLUICE_SUITE=${suite}: expected one of ${Object.keys(SUITES).join(', ')}`);

export default {
  // Integration tests load real data into a real cluster; unit tests finish long before this.
  testTimeout: 120_000,
  projects: SUITES[suite],
  // `npm test`: three workers. Integration files spend much of their time waiting on the cluster,
  // s3rver and timers (grace, lock TTLs), so on 2 cores three workers finish soonest (measured in
  // docs/testing.md: 1, 2, 3 and 4 workers). Each file isolates itself by dataset and bucket, and
  // the in-process CLI (tests/cli/run-cli.ts) serialises runs within each worker. The other
  // suites keep Jest's default (their scripts may set their own).
  ...(suite === 'fast' ? { maxWorkers: 3 } : {}),
};
