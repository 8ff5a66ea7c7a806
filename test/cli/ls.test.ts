import { readFileSync } from 'node:fs';
import path from 'node:path';
import { kubevelaExamples } from '../helpers/cli.js';
import { SandboxCluster } from '../helpers/sandbox-cluster.js';

// `vela-ts ls`, as `vela ls` and `kubectl get -A` are used: the apps of a namespace, or of all.

describe('vela-ts ls', () => {
  let c: SandboxCluster;
  beforeAll(async () => {
    c = await new SandboxCluster().start();
    expect((await c.vela(['up', path.join(kubevelaExamples, 'first-deploy.yaml')])).code).toBe(0);
    expect((await c.vela(['up', path.join(kubevelaExamples, 'rollout-v2.yaml')])).code).toBe(0);
    const shop = c.file(
      'shop.yaml',
      readFileSync(path.join(kubevelaExamples, 'first-deploy.yaml'), 'utf8')
        .replace('name: book-info', 'name: shop')
        .replace('namespace: default', 'namespace: shop'),
    );
    expect((await c.vela(['up', shop, '--create-namespace'])).code).toBe(0);
  });
  afterAll(() => c.stop());

  it('GIVEN an app at its gate in default THEN ls shows its phase, step and weights; the app of another namespace is not listed', async () => {
    const res = await c.vela(['ls']);
    expect(res.code).toBe(0);
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAMESPACE +NAME +PHASE +STEP +AGE +TRAFFIC$/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(
        /^default +book-info +suspended +2\/3 manual-approval +\d+s +reviews: reviews-v1 90%, reviews-v2 10%$/,
      ),
    ]);
  });

  it('GIVEN -A -o json THEN every namespace, sorted, as data', async () => {
    const res = await c.vela(['ls', '-A', '-o', 'json']);
    expect(res.code).toBe(0);
    const apps = JSON.parse(res.stdout) as { namespace: string; name: string; phase: string }[];
    expect(apps.map((a) => [a.namespace, a.name, a.phase])).toEqual([
      ['default', 'book-info', 'suspended'],
      ['shop', 'shop', 'succeeded'],
    ]);
  });

  it('GIVEN a namespace with no app THEN it says so on stderr, exit 0, nothing on stdout', async () => {
    const res = await c.vela(['ls', '-n', 'kube-system']);
    expect(res).toMatchObject({
      code: 0,
      stdout: '',
      stderr: expect.stringContaining('no vela-ts apps in namespace kube-system'),
    });
  });
});
