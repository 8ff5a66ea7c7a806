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

  it('GIVEN the canary at its gate WHEN history THEN both revisions of reviews with their images, when recorded, and which take traffic', async () => {
    const res = await c.vela(['history', 'book-info', '-o', 'json']);
    expect(res.code).toBe(0);
    const reviews = (JSON.parse(res.stdout) as { component: string }[]).filter(
      (e) => e.component === 'reviews',
    );
    expect(reviews).toEqual([
      {
        component: 'reviews',
        revision: 'reviews-v1',
        image: 'docker.io/istio/examples-bookinfo-reviews-v2:1.16.2',
        recorded: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        live: true,
        replicas: 1,
        weight: 90,
        current: false,
        stable: true,
      },
      {
        component: 'reviews',
        revision: 'reviews-v2',
        image: 'docker.io/istio/examples-bookinfo-reviews-v3:1.16.2',
        recorded: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        live: true,
        replicas: 1,
        weight: 10,
        current: true,
        stable: false,
      },
    ]);
    const table = (await c.vela(['history', 'book-info'])).stdout;
    expect(table).toMatch(
      /^reviews +reviews-v2 +docker\.io\/istio\/examples-bookinfo-reviews-v3:1\.16\.2 +\S+Z +yes \(1\) +10% +current$/m,
    );
  });
});
