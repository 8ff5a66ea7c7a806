import { AppsV1Api, CoreV1Api, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { deployment, raw, start, waitFor } from './helpers.js';

test('GIVEN a fresh sandbox WHEN a Deployment is server-side applied THEN its pods become ready and defaults are filled', async () => {
  const { sb, kc } = await start();
  try {
    const v = await raw(sb, 'GET', '/version');
    expect(v.body.minor).toBe('32');
    const objApi = KubernetesObjectApi.makeApiClient(kc);
    await objApi.patch(
      deployment('web', 2) as any,
      undefined,
      undefined,
      'vela-ts',
      true,
      PatchStrategy.ServerSideApply,
    );

    await waitFor(
      kc,
      '/apis/apps/v1/namespaces/default/deployments',
      { fieldSelector: 'metadata.name=web' },
      (_t, o) => o.status?.readyReplicas === 2,
    );

    const pods = await kc
      .makeApiClient(CoreV1Api)
      .listNamespacedPod({ namespace: 'default', labelSelector: 'app=web' });
    expect(pods.items).toHaveLength(2);
    expect(
      pods.items.every((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')),
    ).toBe(true);
    const apps = kc.makeApiClient(AppsV1Api);
    const web = await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' });
    // Defaults a real API server fills in.
    expect(web.spec?.strategy?.type).toBe('RollingUpdate');
    expect(web.spec?.revisionHistoryLimit).toBe(10);
    expect(web.spec?.progressDeadlineSeconds).toBe(600);
    expect(web.spec?.template.spec?.containers[0]?.imagePullPolicy).toBeDefined();
    expect(web.spec?.template.spec?.containers[0]?.terminationMessagePath).toBe('/dev/termination-log');
    expect(web.status?.observedGeneration).toBe(web.metadata?.generation);
  } finally {
    await sb.close();
  }
});
