/**
 * Watch framing, discovery, OpenAPI and authentication, pinned to what a 1.32 apiserver answers:
 * newline-delimited watch events with BOOKMARKs, both discovery formats, /openapi/v3 with its
 * hashes, and 401s with a Status body.
 */
import https from 'node:https';
import {
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  Watch,
  type KubeConfig,
} from '@kubernetes/client-node';
import type { Sandbox } from '../../src/sandbox/index.js';
import { deployment, raw, start, waitFor } from './helpers.js';

let sb: Sandbox;
let kc: KubeConfig;
beforeAll(async () => {
  ({ sb, kc } = await start({ readyDelayMs: 10 }));
});
afterAll(async () => {
  await sb.close();
});

/** Reads a watch stream until it ends (or `stopAfter` lines), returning its status, headers and events. */
function streamWatch(
  path: string,
  stopAfter = Infinity,
): Promise<{ status: number; contentType?: string; events: any[] }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${sb.url}${path}`,
      { ca: sb.caPem, headers: { Authorization: `Bearer ${sb.token}` } },
      (res) => {
        const events: any[] = [];
        let buf = '';
        const done = () =>
          resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], events });
        res.on('data', (c: Buffer) => {
          buf += c.toString();
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            events.push(JSON.parse(buf.slice(0, i)));
            buf = buf.slice(i + 1);
            if (events.length >= stopAfter) {
              req.destroy();
              done();
            }
          }
        });
        res.on('end', done);
      },
    );
    req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
    req.end();
  });
}

describe('watch', () => {
  test('GIVEN a resourceVersion from a list WHEN watching from it THEN exactly the later changes arrive, as newline-delimited JSON', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const list = await core.listNamespacedConfigMap({ namespace: 'default' });
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'w1', labels: { w: 'yes' } } },
    });
    await core.patchNamespacedConfigMap({
      name: 'w1',
      namespace: 'default',
      body: [{ op: 'add', path: '/data', value: { a: '1' } }],
    });
    await core.deleteNamespacedConfigMap({ name: 'w1', namespace: 'default' });
    const w = await streamWatch(
      `/api/v1/namespaces/default/configmaps?watch=1&labelSelector=w%3Dyes&resourceVersion=${list.metadata!.resourceVersion}`,
      3,
    );
    expect(w.status).toBe(200);
    expect(w.contentType).toBe('application/json');
    expect(w.events.map((e) => `${e.type} ${e.object.kind} ${e.object.metadata.name}`)).toEqual([
      'ADDED ConfigMap w1',
      'MODIFIED ConfigMap w1',
      'DELETED ConfigMap w1',
    ]);
    expect(Number(w.events[2].object.metadata.resourceVersion)).toBeGreaterThan(
      Number(w.events[1].object.metadata.resourceVersion),
    );
  });

  test('GIVEN the history was compacted WHEN watching from an old resourceVersion THEN an ERROR event with a 410 Expired Status', async () => {
    const list = await kc.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace: 'default' });
    await kc
      .makeApiClient(CoreV1Api)
      .createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'w2' } } });
    sb.expireWatchHistory();
    const w = await streamWatch(
      `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${list.metadata!.resourceVersion}`,
    );
    expect(w.status).toBe(200);
    expect(w.events).toEqual([
      {
        type: 'ERROR',
        object: {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: expect.stringMatching(
            new RegExp(`^too old resource version: ${list.metadata!.resourceVersion} \\(\\d+\\)$`),
          ),
          reason: 'Expired',
          code: 410,
        },
      },
    ]);
  });

  test('GIVEN no resourceVersion THEN current objects arrive as ADDED first; timeoutSeconds ends the stream with a bookmark when allowed', async () => {
    const w = await streamWatch(
      '/api/v1/namespaces?watch=true&timeoutSeconds=1&allowWatchBookmarks=true&fieldSelector=metadata.name%3Ddefault',
    );
    expect(w.events.map((e) => e.type)).toEqual(['ADDED', 'BOOKMARK']);
    expect(w.events[0].object.metadata.name).toBe('default');
    expect(w.events[1].object).toEqual({
      kind: 'Namespace',
      apiVersion: 'v1',
      metadata: { resourceVersion: expect.any(String), creationTimestamp: null },
    });
  });

  test('GIVEN client-node Watch on a Deployment by field selector THEN its status changes arrive until it is ready', async () => {
    const objApi = KubernetesObjectApi.makeApiClient(kc);
    await objApi.patch(
      deployment('watched', 2) as any,
      undefined,
      undefined,
      'vela-ts',
      true,
      PatchStrategy.ServerSideApply,
    );
    const d = await waitFor(
      kc,
      '/apis/apps/v1/namespaces/default/deployments',
      { fieldSelector: 'metadata.name=watched', allowWatchBookmarks: true },
      (_t, o) => o.status?.availableReplicas === 2,
    );
    expect(d.status).toMatchObject({
      observedGeneration: 1,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
    });
    expect(d.status.conditions.map((c: any) => `${c.type}=${c.status}/${c.reason}`)).toEqual([
      'Available=True/MinimumReplicasAvailable',
      'Progressing=True/NewReplicaSetAvailable',
    ]);
  });

  test('GIVEN close() THEN open watches end and client-node reports done', async () => {
    const { sb: other, kc: otherKc } = await start();
    const ended = new Promise<unknown>((resolve) => {
      void new Watch(otherKc).watch('/api/v1/namespaces', {}, () => undefined, resolve);
    });
    await waitFor(otherKc, '/api/v1/namespaces', {}, (t) => t === 'ADDED');
    await other.close();
    await expect(ended).resolves.toBeDefined();
  });
});

describe('discovery and OpenAPI', () => {
  const KUBECTL_ACCEPT =
    'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

  test('GIVEN /version THEN 1.32, without a token (public info, as the dispatcher probes it)', async () => {
    const v = await raw(sb, 'GET', '/version?timeout=5s', { token: null });
    expect(v.status).toBe(200);
    expect(v.body).toMatchObject({
      major: '1',
      minor: '32',
      gitVersion: expect.stringMatching(/^v1\.32\.\d+$/),
    });
  });

  test("GIVEN kubectl's Accept THEN /apis answers aggregated v2 with the exact Content-Type", async () => {
    const res = await raw(sb, 'GET', '/apis', { accept: KUBECTL_ACCEPT });
    expect(res.headers['content-type']).toBe(
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
    );
    expect(res.body.kind).toBe('APIGroupDiscoveryList');
    const apps = res.body.items.find((g: any) => g.metadata.name === 'apps');
    const deploy = apps.versions[0].resources.find((r: any) => r.resource === 'deployments');
    expect(deploy).toMatchObject({
      scope: 'Namespaced',
      singularResource: 'deployment',
      shortNames: ['deploy'],
      responseKind: { group: 'apps', version: 'v1', kind: 'Deployment' },
    });
    expect(deploy.subresources.map((s: any) => s.subresource).sort()).toEqual(['scale', 'status']);
    const istio = res.body.items.find((g: any) => g.metadata.name === 'networking.istio.io');
    expect(istio.versions.map((v: any) => v.version)).toEqual(['v1', 'v1alpha3', 'v1beta1']);
  });

  test('GIVEN kubectl 1.28 Accept (v2beta1 + json) THEN v2beta1; GIVEN plain JSON THEN the legacy APIVersions and APIGroupList', async () => {
    const beta = await raw(sb, 'GET', '/api', {
      accept: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json',
    });
    expect(beta.headers['content-type']).toBe(
      'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList',
    );
    expect(beta.body.items[0].versions[0].resources.map((r: any) => r.resource)).toContain('pods');
    const legacy = await raw(sb, 'GET', '/api');
    expect(legacy.headers['content-type']).toBe('application/json');
    expect(legacy.body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const groups = await raw(sb, 'GET', '/apis');
    expect(groups.body.kind).toBe('APIGroupList');
    expect(groups.body.groups.map((g: any) => g.name)).toEqual([
      'apps',
      'events.k8s.io',
      'authorization.k8s.io',
      'rbac.authorization.k8s.io',
      'coordination.k8s.io',
      'apiextensions.k8s.io',
      'networking.istio.io',
    ]);
  });

  test('GIVEN the per-group-version lists client-node reads THEN kinds, plurals, namespacing and subresources are listed', async () => {
    const core = await raw(sb, 'GET', '/api/v1', { accept: 'application/json, */*;q=0.8' });
    const names = core.body.resources.map((r: any) => r.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'namespaces',
        'configmaps',
        'secrets',
        'services',
        'services/status',
        'pods',
        'pods/status',
      ]),
    );
    expect(core.body.resources.find((r: any) => r.name === 'namespaces')).toMatchObject({
      namespaced: false,
      kind: 'Namespace',
    });
    const apps = await raw(sb, 'GET', '/apis/apps/v1');
    expect(apps.body.resources.find((r: any) => r.name === 'deployments/scale')).toMatchObject({
      kind: 'Scale',
      group: 'autoscaling',
      version: 'v1',
    });
    const vs = await raw(sb, 'GET', '/apis/networking.istio.io/v1beta1');
    expect(vs.body.resources.find((r: any) => r.name === 'virtualservices')).toMatchObject({
      kind: 'VirtualService',
      namespaced: true,
      shortNames: ['vs'],
    });
    expect((await raw(sb, 'GET', '/apis/nothing.example.com/v1')).status).toBe(404);
  });

  test('GIVEN /openapi/v3 THEN the root points at the two upstream documents by hash, served byte for byte', async () => {
    const root = await raw(sb, 'GET', '/openapi/v3');
    // Then the custom resource group versions (kubectl-explain.test.ts).
    expect(Object.keys(root.body.paths).slice(0, 2)).toEqual(['api/v1', 'apis/apps/v1']);
    const url = root.body.paths['apis/apps/v1'].serverRelativeURL as string;
    expect(url).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
    const doc = await raw(sb, 'GET', url);
    expect(
      doc.body.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch[
        'x-kubernetes-group-version-kind'
      ],
    ).toEqual({ group: 'apps', kind: 'Deployment', version: 'v1' });
    expect((await raw(sb, 'GET', '/openapi/v2')).status).toBe(404);
  });

  test('GIVEN the CRD list THEN the three Istio CRDs are established, and the list is read-only', async () => {
    const res = await raw(sb, 'GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions');
    expect(res.body.items.map((c: any) => c.metadata.name)).toEqual([
      'destinationrules.networking.istio.io',
      'gateways.networking.istio.io',
      'virtualservices.networking.istio.io',
    ]);
    expect(res.body.items[2].status.conditions.find((c: any) => c.type === 'Established').status).toBe(
      'True',
    );
    const post = await raw(sb, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      body: res.body.items[0],
    });
    expect(post.status).toBe(405);
  });

  test('GIVEN an unknown path THEN the generic 404 Status', async () => {
    const res = await raw(sb, 'GET', '/apis/apps/v1/namespaces/default/widgets');
    expect(res.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the server could not find the requested resource',
      reason: 'NotFound',
      details: {},
      code: 404,
    });
  });
});

describe('selectors', () => {
  test('GIVEN label selectors of each form and a field selector THEN lists filter like the apiserver; an unsupported field is a 400', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    for (const [name, tier] of [
      ['s1', 'web'],
      ['s2', 'db'],
      ['s3', undefined],
    ] as const) {
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name, labels: tier ? { sel: 'yes', tier } : { sel: 'yes' } } },
      });
    }
    const names = async (labelSelector: string, fieldSelector?: string) =>
      (await core.listNamespacedConfigMap({ namespace: 'default', labelSelector, fieldSelector })).items.map(
        (i) => i.metadata!.name,
      );
    expect(await names('sel=yes,tier in (web,db)')).toEqual(['s1', 's2']);
    expect(await names('sel=yes,tier notin (web)')).toEqual(['s2', 's3']);
    expect(await names('sel,!tier')).toEqual(['s3']);
    expect(await names('sel==yes,tier!=db')).toEqual(['s1', 's3']);
    expect(await names('sel=yes', 'metadata.name=s2')).toEqual(['s2']);
    expect(await names('sel=yes', 'metadata.namespace=default,metadata.name!=s2')).toEqual(['s1', 's3']);
    const bad = await raw(sb, 'GET', '/api/v1/namespaces/default/configmaps?fieldSelector=spec.foo%3Dbar');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe('field label not supported: spec.foo');
  });

  test('GIVEN limit THEN a continue token pages through the rest', async () => {
    const first = await raw(sb, 'GET', '/api/v1/namespaces?limit=2');
    expect(first.body.items).toHaveLength(2);
    const rest = await raw(sb, 'GET', `/api/v1/namespaces?limit=10&continue=${first.body.metadata.continue}`);
    expect([...first.body.items, ...rest.body.items].map((n: any) => n.metadata.name)).toEqual([
      'default',
      'kube-node-lease',
      'kube-public',
      'kube-system',
    ]);
  });
});

describe('authentication', () => {
  test('GIVEN no token or a wrong token THEN 401 Unauthorized Status', async () => {
    for (const token of [null, 'wrong']) {
      const res = await raw(sb, 'GET', '/api/v1/namespaces', { token });
      expect(res.status).toBe(401);
      // Every answer, even a refusal, tells the cluster adapter it is talking to the sandbox.
      expect(res.headers['x-vela-ts-sandbox']).toBe('1');
      expect(res.body).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Unauthorized',
        reason: 'Unauthorized',
        code: 401,
      });
    }
  });
});
