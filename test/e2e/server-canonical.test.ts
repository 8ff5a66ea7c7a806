/**
 * A real apiserver stores `cpu: "0.5"` as `500m`, `memory: "1024Mi"` as `1Gi`, and drops an
 * env var's empty `value`. vela-ts must not take that for drift: an unchanged `up` only reads, and
 * `diff` finds nothing.
 */
import { SandboxCluster } from '../helpers/sandbox-cluster.js';

const APP = `apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: sized
  namespace: default
spec:
  components:
    - name: api
      type: webservice
      properties:
        image: nginx:1.27
        port: 8080
        cpu: "0.5"
        memory: 1024Mi
        env:
          - name: EMPTY
            value: ""
          - name: MODE
            value: fast
        readinessProbe:
          httpGet: {port: 8080}
          initialDelaySeconds: 0
      traits:
        - type: scaler
          properties: {replicas: 1}
`;

const WRITES = ['POST', 'PUT', 'PATCH', 'DELETE'];

describe('objects the server stores in its own spelling', () => {
  let c: SandboxCluster;
  beforeAll(async () => {
    c = await new SandboxCluster().start();
  });
  afterAll(() => c.stop());

  it('GIVEN an app with cpu "0.5", memory 1024Mi and an empty env value, deployed WHEN up runs again unchanged THEN it only reads, and diff exits 0', async () => {
    const file = c.file('sized.yaml', APP);
    expect(await c.vela(['up', file])).toMatchObject({ code: 0 });
    const live = (await c.get('apps/v1', 'deployments', 'api')) as unknown as {
      spec: { template: { spec: { containers: Record<string, unknown>[] } } };
    };
    // The server's spelling, as a real cluster answers.
    expect(live.spec.template.spec.containers[0]).toMatchObject({
      resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '500m', memory: '1Gi' } },
      env: [{ name: 'EMPTY' }, { name: 'MODE', value: 'fast' }],
    });

    const mark = c.audit().length;
    const again = await c.vela(['up', file]);
    expect(again).toMatchObject({ code: 0 });
    expect(again.stdout).not.toContain('drifted');
    const sent = c.audit().slice(mark);
    expect(sent.filter((r) => WRITES.includes(r.method)).map((r) => `${r.method} ${r.path}`)).toEqual([]);

    const diff = await c.vela(['diff', file]);
    expect(diff).toMatchObject({ code: 0, stdout: expect.stringContaining('no changes') as string });
  });
});
