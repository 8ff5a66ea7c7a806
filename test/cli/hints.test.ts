import { connectionFlags } from '../../src/cli/outcome.js';
import { statusTable } from '../../src/cli/summary.js';
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
