/**
 * The simulated controller, persistence across restarts, the audit log and --fail-rate.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { deployment, raw, start, tmpDir, waitFor } from './helpers.js';

const SSA = PatchStrategy.ServerSideApply;
const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';

describe('the simulated deployment controller', () => {
  test('GIVEN replicas 3 THEN 3 labelled pods become ready; scaling to 1 through the scale subresource removes 2', async () => {
    const { sb, kc } = await start({ readyDelayMs: 10 });
    try {
      await KubernetesObjectApi.makeApiClient(kc).patch(
        deployment('api', 3) as any,
        undefined,
        undefined,
        'vela-ts',
        true,
        SSA,
      );
      await waitFor(
        kc,
        DEPLOYMENTS,
        { fieldSelector: 'metadata.name=api' },
        (_t, d) => d.status?.readyReplicas === 3,
      );
      const core = kc.makeApiClient(CoreV1Api);
      const pods = (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=api' })).items;
      expect(pods).toHaveLength(3);
      for (const p of pods) {
        expect(p.metadata!.name).toMatch(/^api-[a-z0-9]{10}-[a-z0-9]{5}$/);
        expect(p.metadata!.labels!['pod-template-hash']).toMatch(/^[a-z0-9]{10}$/);
        expect(p.status!.conditions!.find((c) => c.type === 'Ready')!.status).toBe('True');
      }
      const scale = await kc
        .makeApiClient(AppsV1Api)
        .patchNamespacedDeploymentScale(
          { name: 'api', namespace: 'default', body: { spec: { replicas: 1 } } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
      expect(scale.spec!.replicas).toBe(1);
      const d = await waitFor(
        kc,
        DEPLOYMENTS,
        { fieldSelector: 'metadata.name=api' },
        (_t, o) => o.status?.replicas === 1,
      );
      expect(d.status).toMatchObject({
        observedGeneration: 2,
        replicas: 1,
        updatedReplicas: 1,
        readyReplicas: 1,
        availableReplicas: 1,
      });
      // The two scaled away terminate (deletionTimestamp set, not counted above) until their grace period ends.
      const after = (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=api' })).items;
      expect(after.filter((p) => !p.metadata!.deletionTimestamp)).toHaveLength(1);
      expect(after.length).toBeLessThanOrEqual(3);
    } finally {
      await sb.close();
    }
  });

  test('GIVEN an image containing never-ready THEN its pods run but never turn Ready and the Deployment stays unavailable', async () => {
    const { sb, kc } = await start({ readyDelayMs: 10 });
    try {
      await KubernetesObjectApi.makeApiClient(kc).patch(
        deployment('stuck', 1, 'example/never-ready:1') as any,
        undefined,
        undefined,
        'vela-ts',
        true,
        SSA,
      );
      // The kubelet's timer has fired once the pod is Running; readiness would have come with it.
      const pod = await waitFor(
        kc,
        '/api/v1/namespaces/default/pods',
        { labelSelector: 'app=stuck' },
        (_t, p) => p.status?.phase === 'Running',
      );
      expect(pod.status.conditions.find((c: any) => c.type === 'Ready')).toMatchObject({
        status: 'False',
        reason: 'ContainersNotReady',
      });
      expect(pod.status.containerStatuses[0]).toMatchObject({ name: 'app', ready: false, started: true });
      const d = (await raw(sb, 'GET', `${DEPLOYMENTS}/stuck`)).body;
      expect(d.status.readyReplicas).toBeUndefined();
      expect(d.status.unavailableReplicas).toBe(1);
      expect(d.status.conditions.find((c: any) => c.type === 'Available')).toMatchObject({
        status: 'False',
        reason: 'MinimumReplicasUnavailable',
      });
    } finally {
      await sb.close();
    }
  });

  test('GIVEN progressDeadlineSeconds passes without progress THEN Progressing=False/ProgressDeadlineExceeded', async () => {
    const { sb, kc } = await start({ readyDelayMs: 10 });
    try {
      const d = deployment('late', 1, 'never-ready', { progressDeadlineSeconds: 1 });
      await KubernetesObjectApi.makeApiClient(kc).patch(d as any, undefined, undefined, 'vela-ts', true, SSA);
      const seen = await waitFor(kc, DEPLOYMENTS, { fieldSelector: 'metadata.name=late' }, (_t, o) =>
        (o.status?.conditions ?? []).some((c: any) => c.reason === 'ProgressDeadlineExceeded'),
      );
      expect(seen.status.conditions.find((c: any) => c.type === 'Progressing')).toMatchObject({
        status: 'False',
        message: expect.stringContaining('has timed out progressing'),
      });
    } finally {
      await sb.close();
    }
  });

  test('GIVEN a pod of a Deployment is deleted THEN the controller replaces it', async () => {
    const { sb, kc } = await start({ readyDelayMs: 10 });
    try {
      await KubernetesObjectApi.makeApiClient(kc).patch(
        deployment('heal', 1) as any,
        undefined,
        undefined,
        'vela-ts',
        true,
        SSA,
      );
      const first = await waitFor(
        kc,
        '/api/v1/namespaces/default/pods',
        { labelSelector: 'app=heal' },
        (t) => t === 'ADDED',
      );
      const list = await kc
        .makeApiClient(CoreV1Api)
        .listNamespacedPod({ namespace: 'default', labelSelector: 'app=heal' });
      const replaced = waitFor(
        kc,
        '/api/v1/namespaces/default/pods',
        { labelSelector: 'app=heal', resourceVersion: list.metadata!.resourceVersion! },
        (t, p) => t === 'ADDED' && p.metadata.name !== first.metadata.name,
      );
      const del = await raw(sb, 'DELETE', `/api/v1/namespaces/default/pods/${first.metadata.name}`);
      expect(del.body.kind).toBe('Pod');
      expect((await replaced).metadata.labels.app).toBe('heal');
    } finally {
      await sb.close();
    }
  });
});

describe('persistence, audit log and failure injection', () => {
  test('GIVEN a state file WHEN the sandbox restarts on it THEN objects, resourceVersions and the token survive', async () => {
    const dir = tmpDir();
    const statePath = path.join(dir, 'state.json');
    const first = await start({ statePath });
    await first.kc.makeApiClient(CoreV1Api).createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'kept' }, data: { a: 'b' } },
    });
    const before = (await raw(first.sb, 'GET', '/api/v1/namespaces/default/configmaps/kept')).body;
    await first.sb.close();
    const second = await start({ statePath });
    try {
      expect(second.sb.token).toBe(first.sb.token);
      const after = (await raw(second.sb, 'GET', '/api/v1/namespaces/default/configmaps/kept')).body;
      expect(after).toEqual(before);
      const created = await second.kc
        .makeApiClient(CoreV1Api)
        .createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'later' } } });
      expect(Number(created.metadata!.resourceVersion)).toBeGreaterThan(
        Number(before.metadata.resourceVersion),
      );
    } finally {
      await second.sb.close();
    }
  });

  test('GIVEN --audit-log THEN one JSON line per request with time, method, path and query, code and user agent', async () => {
    const dir = tmpDir();
    const auditLogPath = path.join(dir, 'audit.log');
    const { sb } = await start({ auditLogPath });
    await raw(sb, 'PATCH', '/api/v1/namespaces/default/configmaps/a?fieldManager=m', {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } },
      contentType: 'application/apply-patch+yaml',
      userAgent: 'audit-test/1.0',
    });
    await raw(sb, 'GET', '/api/v1/namespaces/default/configmaps/missing', { userAgent: 'audit-test/1.0' });
    await sb.close();
    const lines = readFileSync(auditLogPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      {
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        method: 'PATCH',
        path: '/api/v1/namespaces/default/configmaps/a?fieldManager=m',
        code: 201,
        userAgent: 'audit-test/1.0',
        contentType: 'application/apply-patch+yaml',
      },
      {
        time: expect.any(String),
        method: 'GET',
        path: '/api/v1/namespaces/default/configmaps/missing',
        code: 404,
        userAgent: 'audit-test/1.0',
      },
    ]);
  });

  test('GIVEN --fail-rate 1 THEN resource requests fail with 500/503/429(Retry-After)/409 while /version and discovery still answer', async () => {
    // Pairs of rolls: the first decides to fail (< rate), the second picks the error.
    const rolls = [0, 0.1, 0, 0.4, 0, 0.6, 0, 0.9, 0, 0.8];
    let i = 0;
    const { sb } = await start({ failRate: 1, random: () => rolls[i++ % rolls.length]! });
    try {
      expect((await raw(sb, 'GET', '/version')).status).toBe(200);
      expect((await raw(sb, 'GET', '/apis')).status).toBe(200);
      expect((await raw(sb, 'GET', '/api/v1')).status).toBe(200);
      const codes: number[] = [];
      for (let n = 0; n < 5; n++) {
        const res =
          n % 2
            ? await raw(sb, 'GET', '/api/v1/namespaces/default/configmaps')
            : await raw(sb, 'POST', '/api/v1/namespaces/default/configmaps', {
                body: { metadata: { name: `f${n}` } },
              });
        codes.push(res.status);
        if (res.status === 429) expect(res.headers['retry-after']).toBe('1');
        expect(res.body.kind).toBe('Status');
      }
      // Reads never get the 409 (a conflict only makes sense for a write).
      expect(codes).toEqual([500, 503, 429, 429, 409]);
    } finally {
      await sb.close();
    }
  });
});
