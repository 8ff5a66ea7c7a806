/**
 * Numbers the sandbox cannot hold: a Deployment of a billion replicas gets a documented number of
 * simulated Pods, status says what exists, and the server keeps answering and stops on SIGTERM.
 */
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { MAX_SIMULATED_PODS } from '../../src/sandbox/controller.js';
import { deployment, tmpDir, waitFor } from './helpers.js';
import { killLeftovers, request, serve } from './serve-process.js';

afterEach(killLeftovers);

test('GIVEN sandbox serve WHEN a Deployment asks for 1e9 replicas THEN it simulates a capped number of pods, status tells the truth, GETs are answered and SIGTERM stops it', async () => {
  const dir = tmpDir();
  const kubeconfig = path.join(dir, 'kc.yaml');
  const s = await serve(kubeconfig, ['--state', path.join(dir, 'state.json'), '--ready-delay', '10']);
  try {
    const created = await request(s, 'POST', '/apis/apps/v1/namespaces/default/deployments', {
      body: deployment('huge', 1e9),
    });
    expect(created.status).toBe(201);
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    const settled = await waitFor(
      kc,
      '/apis/apps/v1/namespaces/default/deployments',
      {},
      (_type, d) => d.metadata.name === 'huge' && d.status?.readyReplicas === MAX_SIMULATED_PODS,
    );
    expect(settled.status).toMatchObject({
      replicas: MAX_SIMULATED_PODS,
      readyReplicas: MAX_SIMULATED_PODS,
      unavailableReplicas: 1e9 - MAX_SIMULATED_PODS,
    });
    expect(settled.status.conditions).toContainEqual(
      expect.objectContaining({
        type: 'ReplicaFailure',
        status: 'True',
        reason: 'FailedCreate',
        message: `sandbox: at most ${MAX_SIMULATED_PODS} pods are simulated per Deployment; spec.replicas is 1000000000`,
      }),
    );

    const pods = await request(s, 'GET', '/api/v1/namespaces/default/pods');
    expect(pods.status).toBe(200);
    expect(pods.body.items).toHaveLength(MAX_SIMULATED_PODS);
    const got = await request(s, 'GET', '/apis/apps/v1/namespaces/default/deployments/huge');
    expect(got.body.spec.replicas).toBe(1e9);
  } finally {
    s.child.kill('SIGTERM');
  }
  expect(await s.exited).toBe(0);
  expect(s.stderr()).toContain('sandbox stopped (SIGTERM)');
});
