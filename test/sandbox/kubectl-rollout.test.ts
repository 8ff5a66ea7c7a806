/**
 * kubectl's rollout commands against the sandbox's ReplicaSets and Events, with the real kubectl
 * (1.32) and a fresh cache dir per command. The objects are made with `kubectl apply -f` from what
 * `kubectl create deployment --dry-run=client -o yaml` prints, with a grace period added.
 */
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import type { Sandbox } from '../../src/sandbox/index.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { kubectlIn, tmpDir } from './helpers.js';

/** The header words and the rows of kubectl's table output, cut at the header's column offsets. */
function rowsOf(stdout: string): Array<Record<string, string>> {
  const [head, ...lines] = stdout.split('\n').filter((l) => l.trim() !== '');
  const starts = [...head!.matchAll(/\S+( \S+)?/g)].map((m) => ({ name: m[0], at: m.index }));
  return lines.map((line) =>
    Object.fromEntries(
      starts.map((c, i) => [c.name, line.slice(c.at, starts[i + 1]?.at ?? line.length).trim()]),
    ),
  );
}

/** `kubectl rollout history`'s revision numbers. */
const revisions = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => /^\d+\s/.test(l))
    .map((l) => Number(l.split(/\s+/)[0]));

describe('kubectl rollout, get rs, get events and describe against the sandbox', () => {
  let dir: string;
  let sb: Sandbox;
  let kubeconfig: string;
  const run = kubectlIn(() => ({ dir, kubeconfig }));
  const kubectl = (...args: string[]) => run(['-n', 'x', ...args]);
  const ok = async (...args: string[]) => {
    const r = await kubectl(...args);
    expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
    return r.stdout;
  };
  const image = async () =>
    ok('get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}');

  beforeAll(async () => {
    dir = tmpDir('vela-kubectl-rollout-');
    kubeconfig = path.join(dir, 'kubeconfig');
    // Pods stay Terminating for the whole test, so `get pods` shows them whenever it runs.
    sb = await startSandbox({
      port: 0,
      readyDelayMs: 50,
      terminationGraceMs: 10 * 60_000,
      kubeconfigPath: kubeconfig,
    });
  });
  afterAll(() => sb.close());

  test('GIVEN a namespace and a Deployment made with kubectl THEN get rs shows its one ReplicaSet and history revision 1', async () => {
    const ns = path.join(dir, 'ns.yaml');
    writeFileSync(ns, 'apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n');
    expect(await ok('apply', '-f', ns)).toBe('namespace/x created\n');
    const manifest = await ok(
      'create',
      'deployment',
      'web',
      '--image=nginx',
      '--dry-run=client',
      '-o',
      'yaml',
    );
    const file = path.join(dir, 'web.yaml');
    // A grace period longer than the test: the replaced pods are still Terminating when it looks.
    expect(manifest).toContain('\n      containers:\n');
    writeFileSync(
      file,
      manifest.replace(
        '\n      containers:\n',
        '\n      terminationGracePeriodSeconds: 600\n      containers:\n',
      ),
    );
    expect(await ok('apply', '-f', file)).toBe('deployment.apps/web created\n');
    expect(await ok('rollout', 'status', 'deploy/web', '--timeout=30s')).toContain(
      'deployment "web" successfully rolled out',
    );

    const rs = rowsOf(await ok('get', 'rs', '-o', 'wide'));
    expect(rs).toEqual([
      {
        NAME: expect.stringMatching(/^web-[bcdfghjklmnpqrstvwxz2456789]+$/),
        DESIRED: '1',
        CURRENT: '1',
        READY: '1',
        AGE: expect.stringMatching(/^\d+s$/),
        CONTAINERS: 'nginx',
        IMAGES: 'nginx',
        SELECTOR: `app=web,pod-template-hash=${rs[0]!.NAME!.slice('web-'.length)}`,
      },
    ]);
    expect(revisions(await ok('rollout', 'history', 'deploy/web'))).toEqual([1]);
  });

  test('GIVEN set image THEN history shows 2 revisions; rollout undo goes back to the first template as revision 3', async () => {
    const first = rowsOf(await ok('get', 'rs'))[0]!.NAME;
    expect(await ok('set', 'image', 'deploy/web', 'nginx=nginx:1.27')).toBe(
      'deployment.apps/web image updated\n',
    );
    expect(await ok('rollout', 'status', 'deploy/web', '--timeout=30s')).toContain('successfully rolled out');
    expect(revisions(await ok('rollout', 'history', 'deploy/web'))).toEqual([1, 2]);
    expect(await ok('rollout', 'history', 'deploy/web', '--revision=2')).toContain('Image:\tnginx:1.27');
    const two = rowsOf(await ok('get', 'rs'));
    expect(two.map((r) => [r.NAME === first, r.DESIRED]).sort()).toEqual([
      [false, '1'],
      [true, '0'],
    ]);

    expect(await ok('rollout', 'undo', 'deploy/web')).toBe('deployment.apps/web rolled back\n');
    expect(await ok('rollout', 'status', 'deploy/web', '--timeout=30s')).toContain('successfully rolled out');
    expect(await image()).toBe('nginx');
    // The first ReplicaSet is the new one again, renumbered: revision 1 is gone, 2 and 3 remain.
    expect(revisions(await ok('rollout', 'history', 'deploy/web'))).toEqual([2, 3]);
    const back = rowsOf(await ok('get', 'rs'));
    expect(back.find((r) => r.NAME === first)).toMatchObject({ DESIRED: '1', CURRENT: '1', READY: '1' });
    expect(
      await ok(
        'get',
        'deploy',
        'web',
        '-o',
        'jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}',
      ),
    ).toBe('3');
  });

  test('GIVEN the rollouts THEN get pods shows the replaced pods Terminating, beside the one Running', async () => {
    const pods = rowsOf(await ok('get', 'pods'));
    expect(pods.filter((p) => p.STATUS === 'Running')).toHaveLength(1);
    expect(pods.filter((p) => p.STATUS === 'Terminating').length).toBe(2);
    expect(
      await ok('get', 'deploy', 'web', '-o', 'jsonpath={.status.replicas}/{.status.readyReplicas}'),
    ).toBe('1/1');
  });

  test("GIVEN the rollouts THEN get events and describe deploy show the controllers' events", async () => {
    const events = rowsOf(await ok('get', 'events'));
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) expect(e.TYPE).toBe('Normal');
    const reasons = new Set(events.map((e) => e.REASON));
    expect([...reasons].sort()).toEqual(['ScalingReplicaSet', 'SuccessfulCreate', 'SuccessfulDelete']);
    expect(
      events.filter((e) => e.REASON === 'ScalingReplicaSet').every((e) => e.OBJECT === 'deployment/web'),
    ).toBe(true);
    expect(
      events
        .filter((e) => e.REASON === 'SuccessfulCreate')
        .every((e) => /^replicaset\/web-\S+$/.test(e.OBJECT!) && e.MESSAGE!.startsWith('Created pod: web-')),
    ).toBe(true);

    const described = await ok('describe', 'deploy', 'web');
    expect(described).toMatch(/^NewReplicaSet:\s+web-\S+ \(1\/1 replicas created\)$/m);
    expect(described).toMatch(/^OldReplicaSets:\s+web-\S+ \(0\/0 replicas created\)$/m);
    expect(described).toMatch(/^Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message$/m);
    expect(described).toMatch(
      /Normal\s+ScalingReplicaSet\s+.*deployment-controller\s+Scaled up replica set web-\S+ from 0 to 1/,
    );
    expect(described).toMatch(/Progressing\s+True\s+NewReplicaSetAvailable/);
  });
});
