import { readFileSync } from 'node:fs';
import path from 'node:path';
import { kubevelaExamples } from '../helpers/cli.js';
import { SandboxCluster } from '../helpers/sandbox-cluster.js';

const first = readFileSync(path.join(kubevelaExamples, 'first-deploy.yaml'), 'utf8').replace(
  'namespace: default',
  'namespace: plain',
);

describe('the mesh must be there, on the sandbox as on a cluster', () => {
  let c: SandboxCluster;
  let file: string;
  beforeAll(async () => {
    c = await new SandboxCluster().start();
    await c.createNamespace('plain', false);
    file = c.file('first-deploy.yaml', first);
  });
  afterAll(() => c.stop());

  it('GIVEN a namespace without sidecar injection THEN up refuses, exit 2, and nothing is written', async () => {
    const res = await c.vela(['up', file]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(
      'namespace plain has no sidecar injection (no istio-injection=enabled or istio.io/rev label): without sidecars in the calling pods, VirtualService weights have no effect',
    );
    expect(await c.deployments('plain')).toEqual({});
  });

  it('GIVEN --no-mesh-check THEN it deploys, and status says the namespace is not in the mesh', async () => {
    expect((await c.vela(['up', file, '--no-mesh-check'])).code).toBe(0);
    const status = await c.vela(['status', 'book-info', '-n', 'plain']);
    expect(status.stdout).toContain(
      'Mesh:      NOT IN THE MESH: namespace plain has no sidecar injection (no istio-injection=enabled or istio.io/rev label)',
    );
  });
});
