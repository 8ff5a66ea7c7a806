/**
 * `kubectl create <kind>` sends its object as protobuf (client-go's typed clients never fall back
 * to JSON for built-in kinds). The sandbox decodes it into the object the JSON path would get, so
 * each one is read back field by field, and compared with its twin in namespace `twin`, created
 * from kubectl's own JSON for the same command (`--dry-run=client -o json | kubectl create -f -`).
 * Run with the real kubectl 1.32 and a fresh cache dir per command.
 */
import path from 'node:path';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { kubectlIn, tmpDir } from './helpers.js';

describe('kubectl create sends protobuf, and the sandbox reads it', () => {
  let dir: string;
  let sb: Sandbox;
  let kubeconfig: string;
  const run = kubectlIn(() => ({ dir, kubeconfig }));
  const kubectl = (args: string[], input?: string) => run(args, input === undefined ? {} : { input });
  const ok = async (...args: string[]) => {
    const r = await kubectl(args);
    expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
    return r.stdout;
  };
  const getJson = async (...args: string[]) =>
    JSON.parse(await ok('get', ...args, '-o', 'json', '--show-managed-fields'));

  /** What differs between two objects made at different times in different namespaces. */
  const comparable = (o: any) => {
    const { uid: _u, resourceVersion: _r, creationTimestamp: _c, namespace: _n, ...meta } = o.metadata;
    const managedFields = meta.managedFields?.map(({ time: _t, ...m }: any) => m);
    return { ...o, metadata: { ...meta, managedFields } };
  };

  /**
   * Creates the same object from kubectl's JSON in namespace `twin` and expects it stored as the
   * protobuf one was, less `ignore` (fields the server fills in differently each time).
   */
  const expectJsonTwin = async (
    create: string[],
    resource: string,
    name: string,
    ignore = (_o: any) => {},
  ) => {
    const json = await ok('create', ...create, '--dry-run=client', '-o', 'json');
    const made = await kubectl(['create', '-n', 'twin', '-f', '-'], json);
    expect(made).toMatchObject({ code: 0, stderr: '' });
    const [proto, twin] = [await getJson(resource, name), await getJson(resource, name, '-n', 'twin')];
    ignore(proto);
    ignore(twin);
    expect(comparable(proto)).toEqual(comparable(twin));
  };

  beforeAll(async () => {
    dir = tmpDir('vela-kubectl-protobuf-');
    kubeconfig = path.join(dir, 'kubeconfig');
    sb = await startSandbox({ port: 0, readyDelayMs: 20, kubeconfigPath: kubeconfig });
    // The twins' namespace, made through the JSON path.
    const twin = await kubectl(
      ['create', '-f', '-'],
      '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"twin"}}',
    );
    expect(twin.stdout).toBe('namespace/twin created\n');
  });
  afterAll(() => sb.close());

  test('GIVEN kubectl create namespace THEN the Namespace exists, Active, named by its label', async () => {
    expect(await ok('create', 'namespace', 'x')).toBe('namespace/x created\n');
    const ns = await getJson('namespace', 'x');
    expect(ns).toMatchObject({ apiVersion: 'v1', kind: 'Namespace', status: { phase: 'Active' } });
    expect(ns.metadata.name).toBe('x');
    expect(ns.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'x' });
    expect(ns.metadata.managedFields).toEqual([
      expect.objectContaining({ manager: 'kubectl-create', operation: 'Update', apiVersion: 'v1' }),
    ]);
    expect(ns.metadata.generateName).toBeUndefined();
    expect(ns.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const twin = await getJson('namespace', 'twin');
    expect(ns.metadata.managedFields[0].fieldsV1).toEqual(twin.metadata.managedFields[0].fieldsV1);
    expect(ns.spec).toEqual(twin.spec);
  });

  test('GIVEN kubectl create deployment THEN the Deployment has its spec and defaults, and gets a ReplicaSet and a ready Pod', async () => {
    expect(await ok('create', 'deployment', 'web', '--image=nginx')).toBe('deployment.apps/web created\n');
    expect(await ok('rollout', 'status', 'deployment/web', '--timeout=30s')).toContain(
      'deployment "web" successfully rolled out',
    );
    const d = await getJson('deployment', 'web');
    expect(d.metadata).toMatchObject({
      name: 'web',
      namespace: 'default',
      labels: { app: 'web' },
      generation: 1,
    });
    expect(d.spec).toEqual({
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: {
        // As a real apiserver stores it: the template's zero creationTimestamp survives, as null.
        metadata: { creationTimestamp: null, labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'nginx',
              image: 'nginx',
              resources: {},
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'File',
              imagePullPolicy: 'Always',
            },
          ],
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 30,
          dnsPolicy: 'ClusterFirst',
          securityContext: {},
          schedulerName: 'default-scheduler',
        },
      },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    });
    expect(d.status).toMatchObject({ replicas: 1, readyReplicas: 1, availableReplicas: 1 });

    const rs = (await getJson('rs', '-l', 'app=web')).items;
    expect(rs).toHaveLength(1);
    expect(rs[0].metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Deployment', name: 'web', uid: d.metadata.uid, controller: true }),
    ]);
    const hash = rs[0].metadata.labels['pod-template-hash'];
    const pods = (await getJson('pods', '-l', `app=web,pod-template-hash=${hash}`)).items;
    expect(pods.map((p: any) => [p.metadata.ownerReferences[0].name, p.status.phase])).toEqual([
      [rs[0].metadata.name, 'Running'],
    ]);

    await expectJsonTwin(['deployment', 'web', '--image=nginx'], 'deployment', 'web', (o) => {
      delete o.status;
    });
  });

  test('GIVEN kubectl create configmap --from-literal THEN its data is the literal', async () => {
    expect(await ok('create', 'configmap', 'c', '--from-literal=a=b')).toBe('configmap/c created\n');
    const cm = await getJson('configmap', 'c');
    expect(cm.data).toEqual({ a: 'b' });
    expect(cm.binaryData).toBeUndefined();
    expect(cm.metadata.name).toBe('c');
    await expectJsonTwin(['configmap', 'c', '--from-literal=a=b'], 'configmap', 'c');
  });

  test('GIVEN kubectl create secret generic --from-literal THEN its data is the base64 of the value', async () => {
    expect(await ok('create', 'secret', 'generic', 's', '--from-literal=k=v', '--from-literal=empty=')).toBe(
      'secret/s created\n',
    );
    const s = await getJson('secret', 's');
    expect(s.type).toBe('Opaque');
    expect(s.data).toEqual({ empty: '', k: 'dg==' });
    expect(Buffer.from(s.data.k, 'base64').toString()).toBe('v');
    expect(await ok('get', 'secret', 's', '-o', 'jsonpath={.data.k}')).toBe('dg==');
    await expectJsonTwin(
      ['secret', 'generic', 's', '--from-literal=k=v', '--from-literal=empty='],
      'secret',
      's',
    );
  });

  test('GIVEN kubectl create service clusterip --tcp=80:8080 THEN its port targets 8080 as a number', async () => {
    expect(await ok('create', 'service', 'clusterip', 'svc', '--tcp=80:8080')).toBe('service/svc created\n');
    const svc = await getJson('service', 'svc');
    expect(svc.spec.ports).toEqual([{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }]);
    expect(typeof svc.spec.ports[0].targetPort).toBe('number');
    expect(svc.spec).toMatchObject({
      selector: { app: 'svc' },
      type: 'ClusterIP',
      sessionAffinity: 'None',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      internalTrafficPolicy: 'Cluster',
    });
    expect(svc.spec.clusterIPs).toEqual([svc.spec.clusterIP]);
    await expectJsonTwin(['service', 'clusterip', 'svc', '--tcp=80:8080'], 'service', 'svc', (o) => {
      delete o.spec.clusterIP;
      delete o.spec.clusterIPs;
    });
  });

  test('GIVEN kubectl create role and rolebinding THEN they are stored and auth can-i --as answers by them', async () => {
    expect(await ok('create', 'role', 'r', '--verb=get', '--resource=pods')).toBe(
      'role.rbac.authorization.k8s.io/r created\n',
    );
    expect(await ok('create', 'rolebinding', 'rb', '--role=r', '--user=bob')).toBe(
      'rolebinding.rbac.authorization.k8s.io/rb created\n',
    );
    expect((await getJson('role', 'r')).rules).toEqual([
      { verbs: ['get'], apiGroups: [''], resources: ['pods'] },
    ]);
    const rb = await getJson('rolebinding', 'rb');
    expect(rb.subjects).toEqual([{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'bob' }]);
    expect(rb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' });
    expect(await ok('auth', 'can-i', 'get', 'pods', '--as=bob')).toBe('yes\n');
    const no = await kubectl(['auth', 'can-i', 'delete', 'pods', '--as=bob']);
    expect(no).toMatchObject({ code: 1, stdout: 'no\n' });
  });
});
