import { silentReporter } from '../../src/engine/context.js';
import { status, up, type EngineContext } from '../../src/engine/index.js';
import { meshOfLabels, MeshMissing } from '../../src/engine/mesh.js';
import { ClusterError } from '../../src/errors.js';
import { bookinfo } from '../fixtures/apps.js';
import { engineContext } from '../helpers/engine-context.js';
import { MemoryCluster } from '../helpers/memory-cluster.js';

const context = (cluster: MemoryCluster, info: string[] = []): EngineContext =>
  engineContext(cluster, { report: { ...silentReporter, info: (line) => info.push(line) } });

const namespace = (labels?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: 'default', ...(labels ? { labels } : {}) },
});

describe('the mesh must be there', () => {
  it.each([
    [{ 'istio-injection': 'enabled' }, true],
    [{ 'istio.io/rev': 'canary-1-29' }, true],
    [{ 'istio.io/dataplane-mode': 'ambient' }, true],
    [{ 'istio-injection': 'disabled', 'istio.io/rev': 'x' }, false],
    [{}, false],
  ])('labels %j: meshed %s', (labels, meshed) => {
    expect(meshOfLabels('shop', labels).meshed).toBe(meshed);
  });

  it('GIVEN a namespace without injection THEN up of a weighted app is refused before anything is written', async () => {
    const cluster = new MemoryCluster();
    cluster.put(namespace());
    const refused = up(context(cluster), bookinfo(), 'default');
    await expect(refused).rejects.toThrow(MeshMissing);
    await expect(refused).rejects.toThrow(
      /^namespace default has no sidecar injection .*: without sidecars in the calling pods, VirtualService weights have no effect .*kubectl label namespace default istio-injection=enabled.*--no-mesh-check/,
    );
    expect(cluster.writes()).toEqual([]);
  });

  it('GIVEN --no-mesh-check THEN it goes ahead, and status says the namespace is not in the mesh', async () => {
    const cluster = new MemoryCluster();
    cluster.put(namespace());
    const ctx = { ...context(cluster), skipMeshCheck: true };
    expect((await up(ctx, bookinfo(), 'default')).kind).toBe('succeeded');
    expect((await status(ctx, 'default', 'book-info')).mesh).toEqual({
      meshed: false,
      reason: 'namespace default has no sidecar injection (no istio-injection=enabled or istio.io/rev label)',
    });
  });

  it('GIVEN a labelled namespace THEN up goes ahead', async () => {
    const cluster = new MemoryCluster();
    cluster.put(namespace({ 'istio-injection': 'enabled' }));
    expect((await up(context(cluster), bookinfo(), 'default')).kind).toBe('succeeded');
  });

  it('GIVEN a Role that may not read namespaces THEN up warns and goes ahead', async () => {
    const cluster = new MemoryCluster();
    const get = cluster.get.bind(cluster);
    cluster.get = (ref) =>
      ref.kind === 'Namespace'
        ? Promise.reject(new ClusterError('namespaces "default" is forbidden', 403, 'Forbidden'))
        : get(ref);
    const info: string[] = [];
    expect((await up(context(cluster, info), bookinfo(), 'default')).kind).toBe('succeeded');
    expect(info).toContain(
      'cannot tell whether default is in the Istio mesh: namespace default could not be read (Forbidden); route weights act only on requests from pods with a sidecar',
    );
  });

  it('GIVEN --create-namespace for a weighted app THEN the namespace is created with injection on', async () => {
    const cluster = new MemoryCluster();
    await up({ ...context(cluster), createNamespace: true }, bookinfo(), 'default');
    expect(cluster.objects.get('Namespace//default')?.metadata.labels).toEqual({
      'istio-injection': 'enabled',
    });
  });
});
