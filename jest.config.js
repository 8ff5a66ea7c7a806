// Three projects, by what a test file needs (npm run test:unit runs the first alone, with no build):
//   unit     in-process and pure: appfile, compile, workflow, the engine on the recording fake, the
//            cluster client on fakes and a scripted HTTPS stub, the CLI's pure helpers
//   sandbox  starts the sandbox API server in-process (and drives it with client-node or kubectl)
//   e2e      spawns the built binary (bin/vela-ts.js imports dist/) or a script that does
const shared = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } },
    ],
  },
  testTimeout: 60000,
};

// Paths under test/: a folder (ending in /) or one file. Whatever neither list names is e2e, so a
// new test file runs in the full gate until it is placed.
const unit = [
  'appfile/',
  'compile/',
  'workflow/',
  'engine/',
  'cluster/client.test.ts',
  'cluster/https-stub.test.ts',
  'cluster/kinds.test.ts',
  'cluster/kubeconfig.test.ts',
  'cluster/kubeconfig-differential.test.ts',
  'cluster/retry.test.ts',
  'cluster/sandbox-share.test.ts',
  'cli/compile-cache.test.ts',
  'cli/hints.test.ts',
  'cli/durations.test.ts',
  'cli/unified.test.ts',
  'cli/readme-messages.test.ts',
  'cli/plan.test.ts',
  'sandbox/events.test.ts',
  'sandbox/store.test.ts',
  'sandbox/schemas-bundled.test.ts',
  'sandbox/protobuf.test.ts',
  'sandbox/telemetry.test.ts',
];
const sandbox = [
  'cluster/sandbox.test.ts',
  'sandbox/client-node.test.ts',
  'sandbox/kubectl.test.ts',
  'sandbox/kubectl-rbac.test.ts',
  'sandbox/replicasets.test.ts',
  'sandbox/kubectl-rollout.test.ts',
  'sandbox/kubectl-protobuf.test.ts',
  'sandbox/kubectl-media.test.ts',
  'sandbox/kubectl-events.test.ts',
  'sandbox/operations.test.ts',
  'sandbox/rbac.test.ts',
  'sandbox/prometheus.test.ts',
  'sandbox/smoke.test.ts',
  'sandbox/table.test.ts',
  'sandbox/watch-discovery.test.ts',
];
const match = (paths) => paths.map((p) => `<rootDir>/test/${p}${p.endsWith('/') ? '**/*.test.ts' : ''}`);
const ignore = (paths) => paths.map((p) => `<rootDir>/test/${p.replaceAll('.', '\\.')}`);

/** @type {import('jest').Config} */
export default {
  maxWorkers: 2,
  testTimeout: 60000,
  projects: [
    { ...shared, displayName: 'unit', testMatch: match(unit) },
    { ...shared, displayName: 'sandbox', testMatch: match(sandbox) },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...ignore([...unit, ...sandbox])],
    },
  ],
};
