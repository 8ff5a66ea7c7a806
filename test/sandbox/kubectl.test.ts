/**
 * The "Done when", proven with the real kubectl (the dispatcher picks kubectl 1.32 from
 * /version). Skipped only when kubectl is not installed.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Sandbox } from '../../src/sandbox/index.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { kubectlIn, tmpDir } from './helpers.js';

const haveKubectl = !spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).error;
const describeKubectl = haveKubectl ? describe : describe.skip;

const APP = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: app
        image: nginx:1.27
        ports:
        - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: web
spec:
  hosts: [web]
  http:
  - route:
    - destination: {host: web, subset: v1}
      weight: 100
`;

/** kubectl's AGE: a short duration such as 3s, 2m10s or 5m. */
const AGE = /^\d+[smhdy](\d+[smhd])?$/;

/** The header words of kubectl's table output. */
const headerOf = (stdout: string) => stdout.split('\n')[0]!.trim().split(/\s+/);

/**
 * kubectl's table output as records keyed by header, cut at the header's column offsets
 * (tabwriter aligns every cell under its header), so an empty cell reads as ''.
 */
function rowsOf(stdout: string): Array<Record<string, string>> {
  const [head, ...lines] = stdout.split('\n').filter((l) => l.trim() !== '');
  const starts = [...head!.matchAll(/\S+/g)].map((m) => ({ name: m[0], at: m.index }));
  return lines.map((line) =>
    Object.fromEntries(
      starts.map((c, i) => [c.name, line.slice(c.at, starts[i + 1]?.at ?? line.length).trim()]),
    ),
  );
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describeKubectl('kubectl 1.32 against the sandbox', () => {
  let dir: string;
  let sb: Sandbox;
  let kubeconfig: string;
  let statePath: string;
  let auditLog: string;
  const run = kubectlIn(() => ({ dir, kubeconfig }));
  const kubectl = (args: string[], input?: string, config = kubeconfig): Promise<Run> =>
    run(args, { ...(input !== undefined ? { input } : {}), kubeconfig: config });
  const write = (name: string, text: string) => {
    const f = path.join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const podNames = async () =>
    JSON.parse((await kubectl(['get', 'pods', '-l', 'app=web', '-o', 'json'])).stdout).items.map(
      (p: any) => p.metadata.name,
    );

  beforeAll(async () => {
    dir = tmpDir('vela-kubectl-');
    kubeconfig = path.join(dir, 'kubeconfig');
    statePath = path.join(dir, 'state.json');
    auditLog = path.join(dir, 'audit.log');
    sb = await startSandbox({
      port: 0,
      readyDelayMs: 50,
      kubeconfigPath: kubeconfig,
      statePath,
      auditLogPath: auditLog,
    });
  });
  afterAll(async () => {
    await sb.close();
  });

  test('version reports server 1.32', async () => {
    const r = await kubectl(['version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Server Version: v1\.32\.\d+/);
  });

  test('apply --server-side of a Deployment, a Service and a VirtualService succeeds with default strict validation', async () => {
    const r = await kubectl(['apply', '--server-side', '-f', write('app.yaml', APP)]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual([
      'deployment.apps/web serverside-applied',
      'service/web serverside-applied',
      'virtualservice.networking.istio.io/web serverside-applied',
    ]);
    const patches = readFileSync(auditLog, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => e.method === 'PATCH');
    expect(patches.map((e) => [e.code, e.path.split('?')[0], e.contentType])).toEqual([
      [201, '/apis/apps/v1/namespaces/default/deployments/web', 'application/apply-patch+yaml'],
      [201, '/api/v1/namespaces/default/services/web', 'application/apply-patch+yaml'],
      [
        201,
        '/apis/networking.istio.io/v1/namespaces/default/virtualservices/web',
        'application/apply-patch+yaml',
      ],
    ]);
    for (const p of patches) {
      expect(p.path).toContain('fieldManager=kubectl&fieldValidation=Strict');
      expect(p.userAgent).toMatch(/^kubectl\/v1\.32\./);
    }
  });

  test('rollout status completes and the pods match the replica count', async () => {
    const r = await kubectl(['rollout', 'status', 'deployment/web', '--timeout=30s']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('deployment "web" successfully rolled out');
    expect(await podNames()).toHaveLength(2);
  });

  test('plain kubectl get prints the columns a real API server gives, from the server-side Table', async () => {
    const deploy = await kubectl(['get', 'deploy']);
    expect(deploy.stderr).toBe('');
    expect(headerOf(deploy.stdout)).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    expect(rowsOf(deploy.stdout)).toEqual([
      { NAME: 'web', READY: '2/2', 'UP-TO-DATE': '2', AVAILABLE: '2', AGE: expect.stringMatching(AGE) },
    ]);

    const wide = await kubectl(['get', 'deploy', 'web', '-o', 'wide']);
    expect(rowsOf(wide.stdout)[0]).toMatchObject({
      CONTAINERS: 'app',
      IMAGES: 'nginx:1.27',
      SELECTOR: 'app=web',
    });

    const pods = await kubectl(['get', 'pods']);
    expect(headerOf(pods.stdout)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(rowsOf(pods.stdout)).toEqual([
      {
        NAME: expect.stringMatching(/^web-/),
        READY: '1/1',
        STATUS: 'Running',
        RESTARTS: '0',
        AGE: expect.stringMatching(AGE),
      },
      {
        NAME: expect.stringMatching(/^web-/),
        READY: '1/1',
        STATUS: 'Running',
        RESTARTS: '0',
        AGE: expect.stringMatching(AGE),
      },
    ]);

    const svc = await kubectl(['get', 'svc']);
    expect(headerOf(svc.stdout)).toEqual(['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
    expect(rowsOf(svc.stdout)).toEqual([
      {
        NAME: 'web',
        TYPE: 'ClusterIP',
        'CLUSTER-IP': expect.stringMatching(/^10\.96\.\d+\.\d+$/),
        'EXTERNAL-IP': '<none>',
        'PORT(S)': '80/TCP',
        AGE: expect.stringMatching(AGE),
      },
    ]);

    const vs = await kubectl(['get', 'virtualservices']);
    expect(headerOf(vs.stdout)).toEqual(['NAME', 'GATEWAYS', 'HOSTS', 'AGE']);
    expect(rowsOf(vs.stdout)).toEqual([
      { NAME: 'web', GATEWAYS: '', HOSTS: '["web"]', AGE: expect.stringMatching(AGE) },
    ]);

    // -o json asks for the plain object, so it is answered as before.
    const json = await kubectl(['get', 'deploy', 'web', '-o', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ kind: 'Deployment', status: { readyReplicas: 2 } });
  });

  test('pods follow kubectl scale up and down', async () => {
    expect((await kubectl(['scale', 'deployment/web', '--replicas=3'])).code).toBe(0);
    expect((await kubectl(['rollout', 'status', 'deployment/web', '--timeout=30s'])).code).toBe(0);
    expect(await podNames()).toHaveLength(3);
    expect((await kubectl(['scale', 'deployment/web', '--replicas=1'])).code).toBe(0);
    expect((await kubectl(['rollout', 'status', 'deployment/web', '--timeout=30s'])).code).toBe(0);
    // As on a cluster, the scaled-away pods terminate (deletionTimestamp) for their grace period, then go.
    const pods = JSON.parse((await kubectl(['get', 'pods', '-l', 'app=web', '-o', 'json'])).stdout).items;
    const terminating = pods
      .filter((p: any) => p.metadata.deletionTimestamp)
      .map((p: any) => p.metadata.name);
    expect(pods.length - terminating.length).toBe(1);
    if (terminating.length) {
      const waited = await kubectl([
        'wait',
        '--for=delete',
        '--timeout=30s',
        ...terminating.map((n: string) => `pod/${n}`),
      ]);
      expect(waited.code).toBe(0);
    }
    expect(await podNames()).toHaveLength(1);
  });

  test('an invalid VirtualService is rejected', async () => {
    const bad = APP.split('---')[2]!.replace('hosts: [web]', 'hosts: web').replace('name: web', 'name: bad');
    const r = await kubectl(['apply', '--server-side', '-f', write('bad-vs.yaml', bad)]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'spec.hosts: Invalid value: "string": spec.hosts in body must be of type array',
    );
    expect((await kubectl(['get', 'vs', 'bad'])).code).not.toBe(0);
  });

  test('an unknown Deployment field is rejected, through server-side apply and through create', async () => {
    const unknown = APP.split('---')[0]!
      .replace('name: web', 'name: odd')
      .replace(/web/g, 'odd')
      .replace('  replicas: 2\n', '  replicas: 2\n  replicaz: 3\n');
    const file = write('unknown.yaml', unknown);
    const ssa = await kubectl(['apply', '--server-side', '-f', file]);
    expect(ssa.code).not.toBe(0);
    expect(ssa.stderr).toContain('.spec.replicaz: field not declared in schema');
    const created = await kubectl(['create', '-f', file]);
    expect(created.code).not.toBe(0);
    expect(created.stderr).toContain('strict decoding error: unknown field "spec.replicaz"');
  });

  test('a second field manager changing an owned field gets a conflict; --force-conflicts takes it', async () => {
    const other = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: app
        image: nginx:1.28
`;
    const file = write('other.yaml', other);
    const r = await kubectl(['apply', '--server-side', '--field-manager=other', '-f', file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'Apply failed with 1 conflict: conflict with "kubectl": .spec.template.spec.containers[name="app"].image',
    );
    const forced = await kubectl([
      'apply',
      '--server-side',
      '--field-manager=other',
      '--force-conflicts',
      '-f',
      file,
    ]);
    expect(forced.code).toBe(0);
    const image = (
      await kubectl(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'])
    ).stdout;
    expect(image).toBe('nginx:1.28');
  });

  test('a request without the right token gets 401', async () => {
    const wrong = write(
      'wrong-kubeconfig',
      readFileSync(kubeconfig, 'utf8').replace(sb.token, 'not-the-token'),
    );
    const r = await kubectl(['get', 'pods'], undefined, wrong);
    expect(r.code).not.toBe(0);
    // client-go's wording for a 401.
    expect(r.stderr).toContain('the server has asked for the client to provide credentials');
  });

  test('deletes work', async () => {
    const r = await kubectl(['delete', 'virtualservice', 'web']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('virtualservice.networking.istio.io "web" deleted');
    const get = await kubectl(['get', 'vs', 'web']);
    expect(get.stderr).toContain('virtualservices.networking.istio.io "web" not found');
  });

  test('objects survive a restart with the same state file', async () => {
    await sb.close();
    sb = await startSandbox({
      port: 0,
      readyDelayMs: 50,
      kubeconfigPath: kubeconfig,
      statePath,
      auditLogPath: auditLog,
    });
    const r = await kubectl(['get', 'deployment,service', '-o', 'json']);
    expect(r.code).toBe(0);
    const names = JSON.parse(r.stdout).items.map((i: any) => `${i.kind}/${i.metadata.name}`);
    expect(names).toEqual(['Deployment/web', 'Service/web']);
    expect((await kubectl(['rollout', 'status', 'deployment/web', '--timeout=30s'])).code).toBe(0);
  });
});
