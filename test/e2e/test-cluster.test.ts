import path from 'node:path';
import { repoRoot, runProcess } from '../helpers/cli.js';
import { SandboxCluster } from '../helpers/sandbox-cluster.js';

// `npm run test:cluster` (scripts/test-cluster.js) is for a real cluster and never part of
// `npm test`; here its runner is proven: silent without a cluster, and against the sandbox (a
// cluster as far as kubectl and vela-ts can tell) it runs both scenarios and cleans up.

const testCluster = (env: NodeJS.ProcessEnv) =>
  runProcess(process.execPath, [path.join(repoRoot, 'scripts/test-cluster.js')], { env, timeoutMs: 120_000 });

describe('npm run test:cluster', () => {
  it('GIVEN no VELA_TS_E2E_KUBECONFIG THEN one line saying what it needs, exit 0, nothing claimed', async () => {
    const res = await testCluster({ VELA_TS_E2E_KUBECONFIG: '' });
    expect(res.code).toBe(0);
    expect(res.stdout.trim().split('\n')).toHaveLength(1);
    expect(res.stdout).toMatch(/^test:cluster: nothing run; set VELA_TS_E2E_KUBECONFIG/);
    expect(res.stdout).not.toMatch(/passed/);
  });

  it('GIVEN a kubeconfig WHEN run THEN the release and the rollback each pass in a namespace of their own, both deleted after', async () => {
    const c = await new SandboxCluster().start();
    try {
      const res = await testCluster({ VELA_TS_E2E_KUBECONFIG: c.kubeconfig });
      expect(res.stderr).toBe('');
      expect(res.stdout).not.toContain('FAIL');
      expect(res.stdout).toContain('ok   released: reviews-v2 2/2 at 100%, reviews-v1 gone');
      expect(res.stdout).toContain('ok   rolled back: reviews-v1 2/2 at 100%, reviews-v2 gone');
      expect(res.stdout.trim().split('\n').at(-1)).toBe('test:cluster: all checks passed');
      expect(res.code).toBe(0);
      const left = await c.request('GET', '/api/v1/namespaces');
      expect(left.code).toBe(200);
      const names = (left.body as { items: { metadata: { name: string } }[] }).items.map(
        (n) => n.metadata.name,
      );
      expect(names).toContain('default');
      expect(names.filter((n) => n.startsWith('vela-ts-e2e-'))).toEqual([]);
    } finally {
      await c.stop();
    }
  });
});
