import { connectionFlags } from '../../src/cli/gate.js';
import { statusTable } from '../../src/cli/status-table.js';
import type { StatusReport } from '../../src/engine/index.js';

/** A workflow left running by a driver that died: status prints how to continue it. */
const interrupted: StatusReport = {
  name: 'book-info',
  namespace: 'shop',
  sandbox: false,
  driver: null,
  workflow: {
    phase: 'running',
    steps: [{ name: 'rollout-1st-batch', type: 'canary-rollout', phase: 'running' }],
  },
  components: [],
};

describe('hints repeat the connection flags', () => {
  it('GIVEN --kubeconfig and --context THEN the flags are repeated in that order', () => {
    expect(connectionFlags({ sandbox: false, kubeconfig: 'k.yaml', context: 'prod' })).toBe(
      ' --kubeconfig k.yaml --context prod',
    );
  });

  it('GIVEN a kubeconfig path with a space or a quote THEN it is quoted so that pasting it works', () => {
    expect(connectionFlags({ sandbox: false, kubeconfig: "/home/a b/it's.yaml" })).toBe(
      ` --kubeconfig '/home/a b/it'\\''s.yaml'`,
    );
  });

  it('GIVEN --sandbox THEN it is repeated', () => {
    expect(connectionFlags({ sandbox: true })).toBe(' --sandbox');
  });

  it('GIVEN an interrupted workflow THEN the Driver line continues it on the same cluster', () => {
    const table = statusTable(
      interrupted,
      connectionFlags({ sandbox: false, kubeconfig: 'k.yaml', context: 'prod' }),
    );
    expect(table).toContain(
      'Driver:    nobody (interrupted): continue with `vela-ts workflow resume book-info -n shop --kubeconfig k.yaml --context prod`',
    );
  });
});

describe('a timed pause in the status table', () => {
  const paused = (resumeAt: string): StatusReport => ({
    ...interrupted,
    driver: undefined,
    workflow: {
      phase: 'suspended',
      resumeAt,
      steps: [{ name: 'soak', type: 'suspend', phase: 'suspended' }],
    },
  });
  const now = new Date('2026-01-01T00:10:00Z');

  it('GIVEN a pause still running THEN it says until when', () => {
    expect(statusTable(paused('2026-01-01T00:15:00Z'), '', now)).toContain(
      'Workflow:  suspended (timed pause until 2026-01-01T00:15:00Z;',
    );
  });

  it('GIVEN a pause whose time is over and nobody went on THEN it says so and how to continue', () => {
    expect(statusTable(paused('2026-01-01T00:05:00Z'), ' --sandbox', now)).toContain(
      'Workflow:  suspended (timed pause over since 2026-01-01T00:05:00Z; continue with `vela-ts workflow resume book-info -n shop --sandbox`)',
    );
  });
});
