import path from 'node:path';
import { kubevelaExamples } from '../helpers/cli.js';
import { SandboxCluster } from '../helpers/sandbox-cluster.js';

// `vela-ts delete`: everything vela-ts made for the app, nothing of anyone else's.

const KINDS: [string, string][] = [
  ['apps/v1', 'deployments'],
  ['', 'services'],
  ['networking.istio.io/v1', 'gateways'],
  ['networking.istio.io/v1', 'destinationrules'],
  ['networking.istio.io/v1', 'virtualservices'],
  ['apps/v1', 'controllerrevisions'],
  ['coordination.k8s.io/v1', 'leases'],
  ['', 'configmaps'],
];

describe('vela-ts delete', () => {
  let c: SandboxCluster;
  beforeEach(async () => {
    c = await new SandboxCluster().start();
    expect((await c.vela(['up', path.join(kubevelaExamples, 'first-deploy.yaml')])).code).toBe(0);
    expect((await c.vela(['up', path.join(kubevelaExamples, 'rollout-v2.yaml')])).code).toBe(0);
  });
  afterEach(() => c.stop());

  const leftOf = async (app: string) =>
    (await Promise.all(KINDS.map(([g, r]) => c.list(g, r, 'default', `app.oam.dev/name=${app}`)))).flat();

  it('GIVEN an app at its gate WHEN delete --yes THEN no object of the app is left, and an object of someone else survives', async () => {
    await c.request('POST', '/api/v1/namespaces/default/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'theirs', labels: { 'app.oam.dev/name': 'book-info' } },
    });
    expect((await leftOf('book-info')).length).toBeGreaterThan(10);
    const res = await c.vela(['delete', 'book-info', '--yes']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^book-info: deleted VirtualService\/\S+, /);
    expect(res.stdout).toContain('ConfigMap/vela-ts-book-info');
    // (List items carry no kind, as from a real API server: the name says it.)
    expect((await leftOf('book-info')).map((o) => o.metadata.name)).toEqual(['theirs']);
    expect((await c.vela(['status', 'book-info'])).code).toBe(2);
  });

  it('GIVEN no terminal and no --yes THEN nothing is deleted, exit 2', async () => {
    const before = (await leftOf('book-info')).length;
    const res = await c.vela(['delete', 'book-info']);
    expect(res).toMatchObject({ code: 2, stderr: expect.stringContaining('pass --yes') });
    expect((await leftOf('book-info')).length).toBe(before);
  });
});
