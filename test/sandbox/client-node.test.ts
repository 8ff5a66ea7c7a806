/**
 * Contract tests: the sandbox driven by @kubernetes/client-node 1.4, pinned to what a real
 * apiserver answers: server-side apply's conflicts and field ownership, strategic merge and JSON
 * patches, and the Status objects of its errors.
 */
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1ManagedFieldsEntry,
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

const SSA = PatchStrategy.ServerSideApply;
const errorOf = async (p: Promise<unknown>): Promise<{ code: number; body: any }> => {
  try {
    await p;
  } catch (e) {
    const err = e as { code: number; body: unknown };
    return { code: err.code, body: typeof err.body === 'string' ? JSON.parse(err.body) : err.body };
  }
  throw new Error('expected the request to fail');
};

const virtualService = (name: string, weight: unknown = 100) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name, namespace: 'default' },
  spec: { hosts: [name], http: [{ route: [{ destination: { host: name, subset: 'v1' }, weight }] }] },
});

describe('server-side apply', () => {
  test('GIVEN no object WHEN applied THEN 201 with an Apply managedFields entry; re-applying unchanged is 200 and keeps the resourceVersion', async () => {
    // A ConfigMap: no controller writes status in between, so the resourceVersion must stay put.
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa1' }, data: { key: 'value' } };
    const first = await raw(sb, 'PATCH', '/api/v1/namespaces/default/configmaps/ssa1?fieldManager=vela-ts', {
      body: cm,
      contentType: 'application/apply-patch+yaml',
    });
    expect(first.status).toBe(201);
    expect(first.body.metadata.managedFields).toEqual([
      {
        manager: 'vela-ts',
        operation: 'Apply',
        apiVersion: 'v1',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { 'f:key': {} } },
      },
    ]);
    const again = await raw(sb, 'PATCH', '/api/v1/namespaces/default/configmaps/ssa1?fieldManager=vela-ts', {
      body: cm,
      contentType: 'application/apply-patch+yaml',
    });
    expect(again.status).toBe(200);
    expect(again.body.metadata.resourceVersion).toBe(first.body.metadata.resourceVersion);
    expect(again.body.metadata.managedFields).toEqual(first.body.metadata.managedFields);
  });

  test('GIVEN a Deployment applied as YAML text THEN list-map items are keyed as fieldsV1 does, with defaulted key fields', async () => {
    const yamlBody = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: {name: ssa2}',
      'spec:',
      '  selector: {matchLabels: {app: ssa2}}',
      '  template:',
      '    metadata: {labels: {app: ssa2}}',
      '    spec:',
      '      containers:',
      '      - {name: app, image: nginx, ports: [{containerPort: 8080}]}',
    ].join('\n');
    const res = await raw(
      sb,
      'PATCH',
      '/apis/apps/v1/namespaces/default/deployments/ssa2?fieldManager=vela-ts',
      { body: yamlBody, contentType: 'application/apply-patch+yaml' },
    );
    expect(res.status).toBe(201);
    const containers =
      res.body.metadata.managedFields[0].fieldsV1['f:spec']['f:template']['f:spec']['f:containers'];
    expect(containers['k:{"name":"app"}']['.']).toEqual({});
    expect(Object.keys(containers['k:{"name":"app"}']['f:ports'])).toEqual([
      'k:{"containerPort":8080,"protocol":"TCP"}',
    ]);
    expect(res.body.spec.template.spec.containers[0].imagePullPolicy).toBe('Always');
  });

  test('GIVEN a field owned by one manager WHEN another applies a different value THEN 409 naming the manager and field; force=true takes it over', async () => {
    const objApi = KubernetesObjectApi.makeApiClient(kc);
    await objApi.patch(deployment('owned', 1) as any, undefined, undefined, 'team-a', false, SSA);
    const patch = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'owned', namespace: 'default' },
      spec: { replicas: 4 },
    };
    const err = await errorOf(objApi.patch(patch as any, undefined, undefined, 'team-b', false, SSA));
    expect(err.code).toBe(409);
    expect(err.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Apply failed with 1 conflict: conflict with "team-a": .spec.replicas',
      reason: 'Conflict',
      details: {
        causes: [
          { reason: 'FieldManagerConflict', message: 'conflict with "team-a"', field: '.spec.replicas' },
        ],
      },
      code: 409,
    });
    const forced = await objApi.patch(patch as any, undefined, undefined, 'team-b', true, SSA);
    expect(forced.spec.replicas).toBe(4);
    const managers = forced
      .metadata!.managedFields!.filter((m: V1ManagedFieldsEntry) => m.operation === 'Apply')
      .map((m: V1ManagedFieldsEntry) => [m.manager, Boolean(m.fieldsV1['f:spec']?.['f:replicas'])]);
    expect(managers).toEqual([
      ['team-a', false],
      ['team-b', true],
    ]);
  });

  test('GIVEN the same value from two managers THEN no conflict (shared ownership)', async () => {
    const objApi = KubernetesObjectApi.makeApiClient(kc);
    await objApi.patch(deployment('shared', 2) as any, undefined, undefined, 'one', false, SSA);
    const res = await objApi.patch(deployment('shared', 2) as any, undefined, undefined, 'two', false, SSA);
    expect(
      res
        .metadata!.managedFields!.filter((m: V1ManagedFieldsEntry) => m.operation === 'Apply')
        .map((m: V1ManagedFieldsEntry) => m.manager),
    ).toEqual(['one', 'two']);
  });

  test('GIVEN a manager applied a label WHEN it applies again without it THEN the label is removed', async () => {
    const objApi = KubernetesObjectApi.makeApiClient(kc);
    const withLabel = deployment('prune', 1);
    (withLabel.metadata.labels as Record<string, string>).extra = 'yes';
    await objApi.patch(withLabel as any, undefined, undefined, 'vela-ts', false, SSA);
    const res = await objApi.patch(
      deployment('prune', 1) as any,
      undefined,
      undefined,
      'vela-ts',
      false,
      SSA,
    );
    expect(res.metadata!.labels).toEqual({ app: 'prune' });
  });

  test('GIVEN a field the schema does not declare WHEN applied THEN a bare 500 "field not declared in schema", as upstream', async () => {
    const body = deployment('undeclared', 1, 'nginx', { foo: 'bar' });
    const res = await raw(
      sb,
      'PATCH',
      '/apis/apps/v1/namespaces/default/deployments/undeclared?fieldManager=x&fieldValidation=Strict',
      {
        body,
        contentType: 'application/apply-patch+yaml',
      },
    );
    expect(res.status).toBe(500);
    expect(res.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'failed to create typed patch object (default/undeclared; apps/v1, Kind=Deployment): .spec.foo: field not declared in schema',
      code: 500,
    });
  });

  test('GIVEN apply without fieldManager THEN 422 on PatchOptions', async () => {
    const res = await raw(sb, 'PATCH', '/apis/apps/v1/namespaces/default/deployments/nofm', {
      body: deployment('nofm'),
      contentType: 'application/apply-patch+yaml',
    });
    expect(res.status).toBe(422);
    expect(res.body.message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    );
  });

  test('GIVEN an apply body at the wrong apiVersion THEN 400', async () => {
    const res = await raw(sb, 'PATCH', '/apis/apps/v1/namespaces/default/deployments/v?fieldManager=x', {
      body: { ...deployment('v'), apiVersion: 'apps/v1beta1' },
      contentType: 'application/apply-patch+yaml',
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe(
      'Incorrect version specified in apply patch. Specified patch version: apps/v1beta1, expected: apps/v1',
    );
  });

  test('GIVEN a VirtualService applied through CustomObjectsApi with the SSA content type THEN it is created and served at v1beta1 too', async () => {
    const api = kc.makeApiClient(CustomObjectsApi);
    const created = await api.patchNamespacedCustomObject(
      {
        group: 'networking.istio.io',
        version: 'v1',
        namespace: 'default',
        plural: 'virtualservices',
        name: 'reviews',
        body: virtualService('reviews'),
        fieldManager: 'vela-ts',
      },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    );
    expect(created.metadata.generation).toBe(1);
    const beta = await raw(
      sb,
      'GET',
      '/apis/networking.istio.io/v1beta1/namespaces/default/virtualservices/reviews',
    );
    expect(beta.body.apiVersion).toBe('networking.istio.io/v1beta1');
    expect(beta.body.spec.http[0].route[0].weight).toBe(100);
  });

  test('GIVEN an invalid VirtualService THEN 422 Invalid with CRD-style causes', async () => {
    const res = await raw(
      sb,
      'PATCH',
      '/apis/networking.istio.io/v1/namespaces/default/virtualservices/broken?fieldManager=x',
      {
        body: virtualService('broken', 'heavy'),
        contentType: 'application/apply-patch+yaml',
      },
    );
    expect(res.status).toBe(422);
    expect(res.body.reason).toBe('Invalid');
    expect(res.body.details).toMatchObject({
      name: 'broken',
      group: 'networking.istio.io',
      kind: 'VirtualService',
    });
    expect(res.body.message).toBe(
      'VirtualService.networking.istio.io "broken" is invalid: spec.http[0].route[0].weight: Invalid value: "string": spec.http[0].route[0].weight in body must be of type integer: "heavy"',
    );
  });
});

describe('patches other than apply', () => {
  test('GIVEN force with a merge patch THEN 422 "may not be specified for non-apply patch" (client-node sends force=false)', async () => {
    const objApi = KubernetesObjectApi.makeApiClient(kc);
    await objApi.patch(deployment('mp', 1) as any, undefined, undefined, 'vela-ts', true, SSA);
    const err = await errorOf(
      objApi.patch(
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'mp', namespace: 'default' },
          spec: { replicas: 2 },
        } as any,
        undefined,
        undefined,
        'vela-ts',
        false,
        PatchStrategy.MergePatch,
      ),
    );
    expect(err.code).toBe(422);
    expect(err.body.message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch',
    );
    expect(err.body.details).toEqual({
      name: '',
      group: 'meta.k8s.io',
      kind: 'PatchOptions',
      causes: [
        {
          reason: 'FieldValueForbidden',
          message: 'Forbidden: may not be specified for non-apply patch',
          field: 'force',
        },
      ],
    });
  });

  test('GIVEN the default strategic merge patch on a VirtualService THEN 415 UnsupportedMediaType', async () => {
    const objApi = KubernetesObjectApi.makeApiClient(kc);
    const err = await errorOf(objApi.patch(virtualService('reviews') as any));
    expect(err.code).toBe(415);
    expect(err.body.reason).toBe('UnsupportedMediaType');
    expect(err.body.message).toBe(
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    );
  });

  test('GIVEN AppsV1Api.patchNamespacedDeployment with an object body and its default JSON-patch type THEN 400; with the merge-patch header THEN 200', async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    await KubernetesObjectApi.makeApiClient(kc).patch(
      deployment('gen', 1) as any,
      undefined,
      undefined,
      'vela-ts',
      true,
      SSA,
    );
    const err = await errorOf(
      apps.patchNamespacedDeployment({ name: 'gen', namespace: 'default', body: { spec: { replicas: 3 } } }),
    );
    expect(err.code).toBe(400);
    const ok = await apps.patchNamespacedDeployment(
      { name: 'gen', namespace: 'default', body: { spec: { replicas: 3 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(ok.spec!.replicas).toBe(3);
    expect(ok.metadata!.generation).toBe(2);
  });

  test('GIVEN a strategic merge patch of a container THEN containers merge by name', async () => {
    const two = deployment('smp', 1);
    (two.spec.template.spec.containers as object[]).push({ name: 'sidecar', image: 'envoy:1' });
    await KubernetesObjectApi.makeApiClient(kc).patch(two as any, undefined, undefined, 'vela-ts', true, SSA);
    const res = await raw(sb, 'PATCH', '/apis/apps/v1/namespaces/default/deployments/smp', {
      body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:1.28' }] } } } },
      contentType: 'application/strategic-merge-patch+json',
    });
    expect(res.status).toBe(200);
    expect(res.body.spec.template.spec.containers.map((c: any) => `${c.name}=${c.image}`)).toEqual([
      'app=nginx:1.28',
      'sidecar=envoy:1',
    ]);
  });

  test('GIVEN a JSON patch whose test fails THEN 422; a valid one applies', async () => {
    const path = '/apis/apps/v1/namespaces/default/deployments/smp';
    const bad = await raw(sb, 'PATCH', path, {
      body: [{ op: 'test', path: '/spec/replicas', value: 9 }],
      contentType: 'application/json-patch+json',
    });
    expect(bad.status).toBe(422);
    expect(bad.body.reason).toBe('Invalid');
    const good = await raw(sb, 'PATCH', path, {
      body: [{ op: 'replace', path: '/spec/replicas', value: 0 }],
      contentType: 'application/json-patch+json',
    });
    expect(good.status).toBe(200);
    expect(good.body.spec.replicas).toBe(0);
  });

  test('GIVEN a merge patch on a missing object THEN 404 with the NotFound Status', async () => {
    const res = await raw(sb, 'PATCH', '/apis/apps/v1/namespaces/default/deployments/ghost', {
      body: { spec: {} },
      contentType: 'application/merge-patch+json',
    });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'deployments.apps "ghost" not found',
      reason: 'NotFound',
      details: { name: 'ghost', group: 'apps', kind: 'deployments' },
      code: 404,
    });
  });
});

describe('create, update, delete', () => {
  test('GIVEN CoreV1Api reading a missing Service THEN ApiException 404 with the Status body', async () => {
    const err = await errorOf(
      kc.makeApiClient(CoreV1Api).readNamespacedService({ name: 'nope', namespace: 'default' }),
    );
    expect(err.code).toBe(404);
    expect(err.body).toMatchObject({
      reason: 'NotFound',
      message: 'services "nope" not found',
      details: { name: 'nope', group: '', kind: 'services' },
    });
  });

  test('GIVEN an existing object WHEN created again THEN 409 AlreadyExists', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const cm = { metadata: { name: 'twice' }, data: { a: '1' } };
    await core.createNamespacedConfigMap({ namespace: 'default', body: cm });
    const err = await errorOf(core.createNamespacedConfigMap({ namespace: 'default', body: cm }));
    expect(err.code).toBe(409);
    expect(err.body).toMatchObject({ reason: 'AlreadyExists', message: 'configmaps "twice" already exists' });
  });

  test('GIVEN a stale resourceVersion WHEN replacing THEN 409 Conflict with the optimistic-concurrency message', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const cm = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'occ' }, data: { v: '1' } },
    });
    await core.replaceNamespacedConfigMap({
      name: 'occ',
      namespace: 'default',
      body: { ...cm, data: { v: '2' } },
    });
    const err = await errorOf(
      core.replaceNamespacedConfigMap({
        name: 'occ',
        namespace: 'default',
        body: { ...cm, data: { v: '3' } },
      }),
    );
    expect(err.code).toBe(409);
    expect(err.body).toMatchObject({
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on configmaps "occ": the object has been modified; please apply your changes to the latest version and try again',
      details: { name: 'occ', group: '', kind: 'configmaps' },
    });
  });

  test('GIVEN a missing namespace WHEN creating into it THEN 404 namespaces "x" not found', async () => {
    const err = await errorOf(
      kc
        .makeApiClient(CoreV1Api)
        .createNamespacedConfigMap({ namespace: 'nowhere', body: { metadata: { name: 'x' } } }),
    );
    expect(err.code).toBe(404);
    expect(err.body).toMatchObject({ reason: 'NotFound', message: 'namespaces "nowhere" not found' });
  });

  test('GIVEN dryRun=All on create, apply and delete THEN the answer is as real and nothing is stored or removed', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const res = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'dry' } },
      dryRun: 'All',
    });
    expect(res.metadata!.name).toBe('dry');
    const applied = await raw(
      sb,
      'PATCH',
      '/apis/apps/v1/namespaces/default/deployments/drydeploy?fieldManager=x&dryRun=All',
      {
        body: deployment('drydeploy', 1),
        contentType: 'application/apply-patch+yaml',
      },
    );
    expect(applied.status).toBe(201);
    expect(applied.body.spec.revisionHistoryLimit).toBe(10);
    expect((await raw(sb, 'GET', '/api/v1/namespaces/default/configmaps/dry')).status).toBe(404);
    expect((await raw(sb, 'GET', '/apis/apps/v1/namespaces/default/deployments/drydeploy')).status).toBe(404);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'keep' } } });
    await core.deleteNamespacedConfigMap({ name: 'keep', namespace: 'default', dryRun: 'All' });
    expect((await raw(sb, 'GET', '/api/v1/namespaces/default/configmaps/keep')).status).toBe(200);
  });

  test('GIVEN unknown fields on create THEN Strict is a 400 strict decoding error and the default (Warn) prunes them with a Warning header', async () => {
    const body = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'unk' },
      data: { a: 'b' },
      bogus: 1,
    };
    const strict = await raw(sb, 'POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Strict', {
      body,
    });
    expect(strict.status).toBe(400);
    expect(strict.body.message).toBe(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "bogus"',
    );
    const warn = await raw(sb, 'POST', '/api/v1/namespaces/default/configmaps', { body });
    expect(warn.status).toBe(201);
    expect(warn.headers.warning).toBe('299 - "unknown field \\"bogus\\""');
    expect(warn.body.bogus).toBeUndefined();
  });

  test('GIVEN a Deployment whose selector does not match its template THEN 422 Invalid', async () => {
    const d = deployment('mismatch', 1);
    d.spec.template.metadata.labels = { app: 'other' };
    const res = await raw(sb, 'POST', '/apis/apps/v1/namespaces/default/deployments', { body: d });
    expect(res.status).toBe(422);
    expect(res.body.message).toBe(
      'Deployment.apps "mismatch" is invalid: spec.template.metadata.labels: Invalid value: {"app":"other"}: `selector` does not match template `labels`',
    );
    expect(res.body.details.causes).toEqual([
      { reason: 'FieldValueInvalid', message: expect.any(String), field: 'spec.template.metadata.labels' },
    ]);
  });

  test('GIVEN a Deployment THEN DELETE answers a Success Status, its ReplicaSet goes and its pods terminate', async () => {
    const objApi = KubernetesObjectApi.makeApiClient(kc);
    const d = await objApi.patch(deployment('gone', 2) as any, undefined, undefined, 'vela-ts', true, SSA);
    await waitFor(kc, '/api/v1/namespaces/default/pods', { labelSelector: 'app=gone' }, (t) => t === 'ADDED');
    const res = await raw(sb, 'DELETE', '/apis/apps/v1/namespaces/default/deployments/gone');
    expect(res.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name: 'gone', group: 'apps', kind: 'deployments', uid: d.metadata!.uid },
    });
    const rs = await raw(sb, 'GET', '/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dgone');
    expect(rs.body.items).toEqual([]);
    const pods = await kc
      .makeApiClient(CoreV1Api)
      .listNamespacedPod({ namespace: 'default', labelSelector: 'app=gone' });
    for (const p of pods.items) expect(p.metadata!.deletionTimestamp).toBeDefined();
  });

  test('GIVEN a Service THEN the apiserver defaults are filled in', async () => {
    const svc = await kc.makeApiClient(CoreV1Api).createNamespacedService({
      namespace: 'default',
      body: { metadata: { name: 'svc1' }, spec: { selector: { app: 'x' }, ports: [{ port: 80 }] } },
    });
    expect(svc.spec).toMatchObject({
      type: 'ClusterIP',
      sessionAffinity: 'None',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      internalTrafficPolicy: 'Cluster',
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
    });
    expect(svc.spec!.clusterIP).toMatch(/^10\.96\.\d+\.\d+$/);
    expect(svc.spec!.clusterIPs).toEqual([svc.spec!.clusterIP]);
  });
});

describe('generation and the status subresource', () => {
  test('GIVEN a Deployment THEN metadata-only writes keep generation, spec writes raise it, status in a spec write is ignored, status writes never raise it', async () => {
    const path = '/apis/apps/v1/namespaces/default/deployments/gen2';
    await raw(sb, 'PATCH', `${path}?fieldManager=t`, {
      body: deployment('gen2', 1),
      contentType: 'application/apply-patch+yaml',
    });
    const labelled = await raw(sb, 'PATCH', path, {
      body: { metadata: { labels: { x: 'y' } } },
      contentType: 'application/merge-patch+json',
    });
    expect(labelled.body.metadata.generation).toBe(1);
    const spec = await raw(sb, 'PATCH', path, {
      body: { spec: { replicas: 0 }, status: { replicas: 42 } },
      contentType: 'application/merge-patch+json',
    });
    expect(spec.body.metadata.generation).toBe(2);
    expect(spec.body.status.replicas).not.toBe(42);
    const status = await raw(sb, 'PATCH', `${path}/status`, {
      body: { spec: { replicas: 7 }, status: { replicas: 42 } },
      contentType: 'application/merge-patch+json',
    });
    expect(status.status).toBe(200);
    expect(status.body.status.replicas).toBe(42);
    expect(status.body.spec.replicas).toBe(0);
    expect(status.body.metadata.generation).toBe(2);
  });
});
