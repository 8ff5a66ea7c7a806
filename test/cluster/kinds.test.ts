import { resourceFromDiscovery, resourcePath, staticResource } from '../../src/cluster/kinds.js';

describe('kind -> path', () => {
  it.each([
    ['v1', 'ConfigMap', 'shop', 'state', '/api/v1/namespaces/shop/configmaps/state'],
    ['v1', 'Namespace', 'shop', 'shop', '/api/v1/namespaces/shop'],
    ['apps/v1', 'Deployment', 'shop', 'reviews-v1', '/apis/apps/v1/namespaces/shop/deployments/reviews-v1'],
    ['apps/v1', 'ControllerRevision', 'shop', 'r', '/apis/apps/v1/namespaces/shop/controllerrevisions/r'],
    ['coordination.k8s.io/v1', 'Lease', 'shop', 'l', '/apis/coordination.k8s.io/v1/namespaces/shop/leases/l'],
    [
      'networking.istio.io/v1',
      'VirtualService',
      'shop',
      'vs',
      '/apis/networking.istio.io/v1/namespaces/shop/virtualservices/vs',
    ],
    [
      'networking.istio.io/v1beta1',
      'DestinationRule',
      'shop',
      'dr',
      '/apis/networking.istio.io/v1beta1/namespaces/shop/destinationrules/dr',
    ],
    [
      'networking.istio.io/v1alpha3',
      'Gateway',
      'shop',
      'gw',
      '/apis/networking.istio.io/v1alpha3/namespaces/shop/gateways/gw',
    ],
  ])('%s %s is served at the static path', (apiVersion, kind, ns, name, path) => {
    const info = staticResource({ apiVersion, kind });
    expect(info).toBeDefined();
    expect(resourcePath(info!, ns, name)).toBe(path);
  });

  it('kinds outside the table need discovery', () => {
    expect(staticResource({ apiVersion: 'batch/v1', kind: 'Job' })).toBeUndefined();
  });

  it('discovery skips subresources and reads scope', () => {
    const doc = {
      resources: [
        { name: 'jobs/status', kind: 'Job', namespaced: true },
        { name: 'jobs', kind: 'Job', namespaced: true },
      ],
    };
    expect(resourceFromDiscovery({ apiVersion: 'batch/v1', kind: 'Job' }, doc)).toEqual({
      group: 'batch',
      version: 'v1',
      kind: 'Job',
      plural: 'jobs',
      namespaced: true,
    });
    expect(resourceFromDiscovery({ apiVersion: 'batch/v1', kind: 'CronJob' }, doc)).toBeUndefined();
  });

  it('names are escaped', () => {
    expect(resourcePath(staticResource({ apiVersion: 'v1', kind: 'Pod' })!, 'a b', 'x/y')).toBe(
      '/api/v1/namespaces/a%20b/pods/x%2Fy',
    );
  });
});
