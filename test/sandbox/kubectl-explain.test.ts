/**
 * /openapi/v3 publishes each custom resource group version as a real apiserver does, so kubectl
 * explain works for the Istio kinds, and kubectl's field-validation check finds their PATCH
 * operations. Run with the real kubectl 1.32.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { kubectlIn, raw, tmpDir } from './helpers.js';

describe('kubectl explain of the Istio kinds', () => {
  let dir: string;
  let sb: Sandbox;
  let kubeconfig: string;
  const kubectl = kubectlIn(() => ({ dir, kubeconfig }));

  beforeAll(async () => {
    dir = tmpDir('vela-kubectl-explain-');
    kubeconfig = path.join(dir, 'kubeconfig');
    sb = await startSandbox({ port: 0, readyDelayMs: 20, kubeconfigPath: kubeconfig });
  });
  afterAll(() => sb.close());

  test('GIVEN kubectl explain virtualservice.spec.http THEN it prints the field and its subfields from the CRD schema', async () => {
    const r = await kubectl(['explain', 'virtualservice.spec.http']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 5)).toEqual([
      'GROUP:      networking.istio.io',
      'KIND:       VirtualService',
      'VERSION:    v1',
      '',
      'FIELD: http <[]Object>',
    ]);
    expect(r.stdout).toContain('An ordered list of route rules for HTTP traffic.');
    expect(r.stdout).toMatch(/^ {2}route\t<\[\]Object>$/m);
    expect(r.stdout).toMatch(/^ {2}match\t<\[\]Object>$/m);
  });

  test('GIVEN explain of another kind, version and a metadata field THEN each resolves', async () => {
    const subset = await kubectl([
      'explain',
      'destinationrule.spec.subsets.name',
      '--api-version=networking.istio.io/v1beta1',
    ]);
    expect(subset).toMatchObject({ code: 0 });
    expect(subset.stdout).toContain('VERSION:    v1beta1');
    expect(subset.stdout).toContain('Name of the subset.');
    const labels = await kubectl(['explain', 'gateway.metadata.labels']);
    expect(labels).toMatchObject({ code: 0 });
    expect(labels.stdout).toContain('FIELD: labels <map[string]string>');
  });

  test('GIVEN the /openapi/v3 root THEN it lists the Istio group versions beside the built-in ones', async () => {
    const root = await raw(sb, 'GET', '/openapi/v3');
    expect(Object.keys(root.body.paths).sort()).toEqual([
      'api/v1',
      'apis/apps/v1',
      'apis/authorization.k8s.io/v1',
      'apis/networking.istio.io/v1',
      'apis/networking.istio.io/v1alpha3',
      'apis/networking.istio.io/v1beta1',
      'apis/rbac.authorization.k8s.io/v1',
    ]);
    const doc = await raw(
      sb,
      'GET',
      `/${root.body.paths['apis/networking.istio.io/v1'].serverRelativeURL.slice(1)}`,
    );
    expect(
      doc.body.components.schemas['io.istio.networking.v1.VirtualService']['x-kubernetes-group-version-kind'],
    ).toEqual([{ group: 'networking.istio.io', kind: 'VirtualService', version: 'v1' }]);
  });

  test('GIVEN apply --server-side of a VirtualService with strict validation THEN it is validated through the published document', async () => {
    const file = path.join(dir, 'vs.yaml');
    writeFileSync(
      file,
      'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: web\nspec:\n  hosts: [web]\n  http:\n  - route:\n    - destination: {host: web}\n',
    );
    const r = await kubectl(['apply', '--server-side', '-f', file]);
    expect(r).toMatchObject({
      code: 0,
      stdout: 'virtualservice.networking.istio.io/web serverside-applied\n',
    });
  });
});
