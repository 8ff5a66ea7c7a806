/**
 * Server-side printing: with kubectl's Table Accept header the sandbox answers a meta.k8s.io
 * Table with the columns a 1.32 apiserver prints (its printers in pkg/printers/internalversion), through the real
 * HTTPS server. The clock is frozen and moved by hand, so every AGE cell is exact.
 */
import https from 'node:https';
import type { Sandbox } from '../../src/sandbox/index.js';
import { jsonPathMatches } from '../../src/sandbox/jsonpath.js';
import { humanDuration } from '../../src/sandbox/printers.js';
import { negotiateTable } from '../../src/sandbox/table.js';
import { realClock, type Clock } from '../../src/sandbox/util.js';
import { deployment, raw, start, waitFor } from './helpers.js';
import type { KubeConfig } from '@kubernetes/client-node';

/** Exactly what kubectl 1.32 sends on `kubectl get`. */
const KUBECTL_TABLE_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';
const PODS = '/api/v1/namespaces/default/pods';
const SERVICES = '/api/v1/namespaces/default/services';
const VIRTUAL_SERVICES = '/apis/networking.istio.io/v1/namespaces/default/virtualservices';

let now = Math.floor(Date.now() / 1000) * 1000;
const clock: Clock = {
  now: () => now,
  setTimeout: (fn, ms) => realClock.setTimeout(fn, ms),
  clearTimeout: (h) => realClock.clearTimeout(h),
};
const MINUTE = 60_000;

let sb: Sandbox;
let kc: KubeConfig;
beforeAll(async () => {
  ({ sb, kc } = await start({ readyDelayMs: 10, clock }));
});
afterAll(async () => {
  await sb.close();
});

const table = (path: string, accept = KUBECTL_TABLE_ACCEPT) => raw(sb, 'GET', path, { accept });
const create = async (path: string, body: unknown) => {
  const r = await raw(sb, 'POST', path, { body });
  expect(r.status).toBe(201);
  return r.body;
};
const header = (t: any) => t.columnDefinitions.map((c: any) => c.name);
const wideColumns = (t: any) =>
  t.columnDefinitions.filter((c: any) => c.priority === 1).map((c: any) => c.name);
const rowOf = (t: any, name: string) => t.rows.find((r: any) => r.cells[0] === name);

describe('Table negotiation', () => {
  test("kubectl's Accept asks for a v1 Table; plain, client-node and q-preferred plain Accepts do not", () => {
    expect(negotiateTable(KUBECTL_TABLE_ACCEPT)).toBe('v1');
    expect(negotiateTable('application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json')).toBe(
      'v1beta1',
    );
    expect(negotiateTable('application/json')).toBeUndefined();
    expect(negotiateTable('application/json, */*;q=0.8')).toBeUndefined();
    expect(negotiateTable(undefined)).toBeUndefined();
    expect(
      negotiateTable('application/json;as=Table;v=v1;g=meta.k8s.io;q=0.5,application/json;q=0.9'),
    ).toBeUndefined();
    // A conversion the sandbox does not serve is skipped, not mistaken for a Table.
    expect(
      negotiateTable(
        'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1;g=meta.k8s.io',
      ),
    ).toBe('v1');
  });

  test('GIVEN a Deployment WHEN listed with a plain Accept THEN the answer is the DeploymentList, not a Table', async () => {
    await create(DEPLOYMENTS, deployment('plain', 1));
    for (const accept of ['application/json', 'application/json, */*;q=0.8']) {
      const r = await table(DEPLOYMENTS, accept);
      expect(r.body.kind).toBe('DeploymentList');
      expect(r.body.items.map((d: any) => d.metadata.name)).toContain('plain');
    }
    const one = await table(`${DEPLOYMENTS}/plain`, 'application/json');
    expect(one.body.kind).toBe('Deployment');
  });
});

describe('Deployment table', () => {
  test('GIVEN a 2-replica Deployment once ready WHEN listed as a Table THEN NAME READY UP-TO-DATE AVAILABLE AGE read web, 2/2, 2, 2, 5m', async () => {
    await create(DEPLOYMENTS, deployment('web', 2));
    await waitFor(
      kc,
      DEPLOYMENTS,
      { fieldSelector: 'metadata.name=web' },
      (_t, d) => d.status?.readyReplicas === 2,
    );
    now += 5 * MINUTE;

    const r = await table(`${DEPLOYMENTS}?limit=500`);
    expect(r.status).toBe(200);
    // A real apiserver labels a Table answer plain application/json; kubectl reads the kind.
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.body).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    expect(r.body.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(header(r.body)).toEqual([
      'Name',
      'Ready',
      'Up-to-date',
      'Available',
      'Age',
      'Containers',
      'Images',
      'Selector',
    ]);
    expect(wideColumns(r.body)).toEqual(['Containers', 'Images', 'Selector']);
    expect(r.body.columnDefinitions[0]).toMatchObject({ type: 'string', format: 'name', priority: 0 });
    expect(r.body.columnDefinitions[0].description).toMatch(/^Name must be unique within a namespace/);
    const row = rowOf(r.body, 'web');
    expect(row.cells).toEqual(['web', '2/2', 2, 2, '5m', 'app', 'nginx:1.27', 'app=web']);
    // kubectl's default (no includeObject): the row carries PartialObjectMetadata, for -A and --show-labels.
    expect(row.object).toMatchObject({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    });
    expect(row.object.spec).toBeUndefined();
  });

  test('GIVEN one Deployment WHEN read by name as a Table THEN one row and the object resourceVersion', async () => {
    const plain = await table(`${DEPLOYMENTS}/web`, 'application/json');
    const r = await table(`${DEPLOYMENTS}/web`);
    expect(r.body.kind).toBe('Table');
    expect(r.body.metadata).toEqual({ resourceVersion: plain.body.metadata.resourceVersion });
    expect(r.body.rows).toHaveLength(1);
    expect(r.body.rows[0].cells.slice(0, 4)).toEqual(['web', '2/2', 2, 2]);
  });

  test('WHEN a missing Deployment is read as a Table THEN the 404 Status is unchanged', async () => {
    const r = await table(`${DEPLOYMENTS}/nope`);
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ kind: 'Status', reason: 'NotFound' });
  });

  test('includeObject=Object carries the full object, None carries none, anything else is a 400', async () => {
    const full = await table(`${DEPLOYMENTS}?includeObject=Object`);
    expect(rowOf(full.body, 'web').object).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { replicas: 2 },
    });
    const none = await table(`${DEPLOYMENTS}?includeObject=None`);
    expect(rowOf(none.body, 'web').object).toBeNull();
    const bad = await table(`${DEPLOYMENTS}?includeObject=Everything`);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe(
      `Unable to convert to Table as requested: includeObject: Invalid value: "Everything": must be 'Metadata', 'Object', 'None', or empty`,
    );
  });

  test('WHEN only v1beta1 Tables are accepted THEN the Table and its PartialObjectMetadata are meta.k8s.io/v1beta1', async () => {
    const r = await table(DEPLOYMENTS, 'application/json;as=Table;v=v1beta1;g=meta.k8s.io');
    expect(r.body.apiVersion).toBe('meta.k8s.io/v1beta1');
    expect(rowOf(r.body, 'web').object.apiVersion).toBe('meta.k8s.io/v1beta1');
  });

  test('GIVEN a list cut by limit THEN the Table keeps continue and remainingItemCount', async () => {
    const r = await table(`${DEPLOYMENTS}?limit=1`);
    expect(r.body.rows).toHaveLength(1);
    expect(r.body.metadata.continue).toEqual(expect.any(String));
    expect(r.body.metadata.remainingItemCount).toBeGreaterThanOrEqual(1);
  });
});

describe('Pod table', () => {
  test('GIVEN ready pods THEN READY 1/1, STATUS Running, RESTARTS 0, and wide IP and NODE', async () => {
    const r = await table(`${PODS}?labelSelector=app%3Dweb`);
    expect(header(r.body)).toEqual([
      'Name',
      'Ready',
      'Status',
      'Restarts',
      'Age',
      'IP',
      'Node',
      'Nominated Node',
      'Readiness Gates',
    ]);
    expect(wideColumns(r.body)).toEqual(['IP', 'Node', 'Nominated Node', 'Readiness Gates']);
    expect(r.body.rows).toHaveLength(2);
    for (const row of r.body.rows) {
      expect(row.cells).toEqual([
        expect.stringMatching(/^web-/),
        '1/1',
        'Running',
        '0',
        '5m',
        expect.stringMatching(/^10\.244\./),
        'sandbox-node',
        '<none>',
        '<none>',
      ]);
    }
  });

  test('GIVEN readiness held WHEN a Deployment makes a pod THEN it reads 0/1 Pending', async () => {
    sb.holdReadiness(true);
    try {
      await create(DEPLOYMENTS, deployment('held', 1));
      const pod = await waitFor(kc, PODS, { labelSelector: 'app=held' }, (type) => type === 'ADDED');
      const r = await table(`${PODS}/${pod.metadata.name}`);
      expect(r.body.rows[0].cells.slice(0, 5)).toEqual([pod.metadata.name, '0/1', 'Pending', '0', '0s']);
    } finally {
      sb.holdReadiness(false);
    }
  });

  test('GIVEN a crash-looping container restarted 3 times, the last 2 minutes ago THEN STATUS CrashLoopBackOff and RESTARTS "3 (2m ago)"', async () => {
    // The simulated kubelet must not mark the pod ready over the status this test writes.
    sb.holdReadiness(true);
    try {
      await create(PODS, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'crashy' },
        spec: { containers: [{ name: 'app', image: 'busybox:1.36' }] },
      });
      const pod = (await raw(sb, 'GET', `${PODS}/crashy`)).body;
      pod.status = {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'False' }],
        containerStatuses: [
          {
            name: 'app',
            image: 'busybox:1.36',
            imageID: '',
            ready: false,
            restartCount: 3,
            started: false,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: {
              terminated: {
                exitCode: 1,
                reason: 'Error',
                finishedAt: new Date(now - 2 * MINUTE).toISOString().replace(/\.\d+Z$/, 'Z'),
              },
            },
          },
        ],
      };
      const put = await raw(sb, 'PUT', `${PODS}/crashy/status`, { body: pod });
      expect(put.status).toBe(200);
      const r = await table(`${PODS}/crashy`);
      expect(r.body.rows[0].cells.slice(0, 4)).toEqual(['crashy', '0/1', 'CrashLoopBackOff', '3 (2m ago)']);
    } finally {
      sb.holdReadiness(false);
    }
  });
});

describe('Service table', () => {
  test('GIVEN ClusterIP, NodePort and LoadBalancer Services THEN TYPE, CLUSTER-IP, EXTERNAL-IP and PORT(S) read as kubectl prints them', async () => {
    const svc = (name: string, spec: object) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: { selector: { app: 'web', tier: 'front' }, ...spec },
    });
    const ip = (await create(SERVICES, svc('web', { ports: [{ port: 9080 }] }))).spec.clusterIP;
    await create(SERVICES, svc('np', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
    await create(SERVICES, svc('lb', { type: 'LoadBalancer', ports: [{ port: 443, protocol: 'TCP' }] }));
    await create(SERVICES, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'ext' },
      spec: { type: 'ExternalName', externalName: 'example.com' },
    });

    const r = await table(SERVICES);
    expect(header(r.body)).toEqual([
      'Name',
      'Type',
      'Cluster-IP',
      'External-IP',
      'Port(s)',
      'Age',
      'Selector',
    ]);
    expect(rowOf(r.body, 'web').cells).toEqual([
      'web',
      'ClusterIP',
      ip,
      '<none>',
      '9080/TCP',
      '0s',
      'app=web,tier=front',
    ]);
    expect(rowOf(r.body, 'np').cells.slice(1, 5)).toEqual([
      'NodePort',
      expect.stringMatching(/^10\.96\./),
      '<none>',
      '80:30080/TCP',
    ]);
    expect(rowOf(r.body, 'lb').cells[3]).toBe('<pending>');
    expect(rowOf(r.body, 'lb').cells[4]).toMatch(/^443:\d+\/TCP$/);
    expect(rowOf(r.body, 'ext').cells.slice(1, 5)).toEqual([
      'ExternalName',
      '<none>',
      'example.com',
      '<none>',
    ]);
    expect(rowOf(r.body, 'ext').cells[6]).toBe('<none>');
  });
});

describe('the other built-in kinds', () => {
  test('ConfigMap DATA counts data and binaryData; Secret shows TYPE and DATA', async () => {
    await create('/api/v1/namespaces/default/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg' },
      data: { a: '1', b: '2' },
      binaryData: { c: 'AA==' },
    });
    await create('/api/v1/namespaces/default/secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds' },
      type: 'kubernetes.io/basic-auth',
      stringData: { username: 'u', password: 'p' },
    });
    const cm = await table('/api/v1/namespaces/default/configmaps/cfg');
    expect(header(cm.body)).toEqual(['Name', 'Data', 'Age']);
    expect(cm.body.rows[0].cells).toEqual(['cfg', 3, '0s']);
    const secret = await table('/api/v1/namespaces/default/secrets/creds');
    expect(header(secret.body)).toEqual(['Name', 'Type', 'Data', 'Age']);
    expect(secret.body.rows[0].cells).toEqual(['creds', 'kubernetes.io/basic-auth', 2, '0s']);
  });

  test('Namespace STATUS is Active for the seeded namespaces', async () => {
    const r = await table('/api/v1/namespaces');
    expect(header(r.body)).toEqual(['Name', 'Status', 'Age']);
    expect(r.body.rows.map((row: any) => row.cells.slice(0, 2))).toEqual([
      ['default', 'Active'],
      ['kube-node-lease', 'Active'],
      ['kube-public', 'Active'],
      ['kube-system', 'Active'],
    ]);
  });

  test('Lease HOLDER and ControllerRevision CONTROLLER and REVISION', async () => {
    await create('/apis/coordination.k8s.io/v1/namespaces/default/leases', {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'lock' },
      spec: { holderIdentity: 'vela-ts-1' },
    });
    const lease = await table('/apis/coordination.k8s.io/v1/namespaces/default/leases');
    expect(header(lease.body)).toEqual(['Name', 'Holder', 'Age']);
    expect(rowOf(lease.body, 'lock').cells).toEqual(['lock', 'vela-ts-1', '0s']);

    await create('/apis/apps/v1/namespaces/default/controllerrevisions', {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name: 'web-7d4b9c',
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u-1', controller: true },
        ],
      },
      revision: 4,
    });
    await create('/apis/apps/v1/namespaces/default/controllerrevisions', {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: { name: 'orphan' },
      revision: 1,
    });
    const revs = await table('/apis/apps/v1/namespaces/default/controllerrevisions');
    expect(header(revs.body)).toEqual(['Name', 'Controller', 'Revision', 'Age']);
    expect(rowOf(revs.body, 'web-7d4b9c').cells).toEqual(['web-7d4b9c', 'statefulset.apps/web', 4, '0s']);
    expect(rowOf(revs.body, 'orphan').cells).toEqual(['orphan', '<none>', 1, '0s']);
  });

  test('CustomResourceDefinitions use the default table: NAME and CREATED AT, the timestamp itself', async () => {
    const r = await table('/apis/apiextensions.k8s.io/v1/customresourcedefinitions');
    expect(r.body.columnDefinitions.map((c: any) => [c.name, c.type])).toEqual([
      ['Name', 'string'],
      ['Created At', 'date'],
    ]);
    const row = rowOf(r.body, 'virtualservices.networking.istio.io');
    expect(row.cells[1]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });
});

describe('custom resources: the CRD additionalPrinterColumns', () => {
  test('GIVEN a VirtualService THEN NAME GATEWAYS HOSTS AGE, lists printed as JSON and the date as an age', async () => {
    await create(VIRTUAL_SERVICES, {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'reviews' },
      spec: { hosts: ['reviews', 'reviews.example.com'], gateways: ['mesh'], http: [] },
    });
    await create(VIRTUAL_SERVICES, {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'bare' },
      spec: { hosts: ['bare'] },
    });
    now += 90_000;
    const r = await table(VIRTUAL_SERVICES);
    expect(r.body.columnDefinitions.map((c: any) => [c.name, c.type, c.priority])).toEqual([
      ['Name', 'string', 0],
      ['Gateways', 'string', 0],
      ['Hosts', 'string', 0],
      ['Age', 'date', 0],
    ]);
    expect(r.body.columnDefinitions[2].description).toBe(
      'The destination hosts to which traffic is being sent',
    );
    expect(rowOf(r.body, 'reviews').cells).toEqual([
      'reviews',
      '["mesh"]',
      '["reviews","reviews.example.com"]',
      '90s',
    ]);
    // A column whose path finds nothing is a null cell (kubectl prints it empty).
    expect(rowOf(r.body, 'bare').cells).toEqual(['bare', null, '["bare"]', '90s']);
    expect(rowOf(r.body, 'bare').object).toMatchObject({
      kind: 'PartialObjectMetadata',
      metadata: { name: 'bare' },
    });
  });

  test('GIVEN a DestinationRule read at v1beta1 THEN that version columns apply: NAME HOST AGE', async () => {
    await create('/apis/networking.istio.io/v1/namespaces/default/destinationrules', {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'reviews' },
      spec: { host: 'reviews' },
    });
    const r = await table('/apis/networking.istio.io/v1beta1/namespaces/default/destinationrules/reviews');
    expect(header(r.body)).toEqual(['Name', 'Host', 'Age']);
    expect(r.body.rows[0].cells).toEqual(['reviews', 'reviews', '0s']);
    const full = await table(
      '/apis/networking.istio.io/v1beta1/namespaces/default/destinationrules/reviews?includeObject=Object',
    );
    expect(full.body.rows[0].object.apiVersion).toBe('networking.istio.io/v1beta1');
  });

  test('GIVEN a Gateway, whose CRD declares no columns THEN NAME and AGE', async () => {
    await create('/apis/networking.istio.io/v1/namespaces/default/gateways', {
      apiVersion: 'networking.istio.io/v1',
      kind: 'Gateway',
      metadata: { name: 'ingress' },
      spec: { selector: { istio: 'ingressgateway' } },
    });
    const r = await table('/apis/networking.istio.io/v1/namespaces/default/gateways');
    expect(r.body.columnDefinitions.map((c: any) => [c.name, c.type])).toEqual([
      ['Name', 'string'],
      ['Age', 'date'],
    ]);
    expect(rowOf(r.body, 'ingress').cells).toEqual(['ingress', '0s']);
  });
});

describe('watch with a Table Accept (kubectl get -w)', () => {
  /** Reads `count` events of a watch stream with the given Accept. */
  const watchEvents = (path: string, accept: string, count: number): Promise<any[]> =>
    new Promise((resolve, reject) => {
      const req = https.request(
        `${sb.url}${path}`,
        { ca: sb.caPem, headers: { Authorization: `Bearer ${sb.token}`, Accept: accept } },
        (res) => {
          const events: any[] = [];
          let buf = '';
          res.on('data', (c: Buffer) => {
            buf += c.toString();
            let i: number;
            while ((i = buf.indexOf('\n')) >= 0) {
              events.push(JSON.parse(buf.slice(0, i)));
              buf = buf.slice(i + 1);
              if (events.length === count) {
                req.destroy();
                resolve(events);
              }
            }
          });
        },
      );
      req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
      req.end();
    });

  test('GIVEN a watch from a list resourceVersion THEN each event is a one-row Table and only the first carries columns', async () => {
    const cms = '/api/v1/namespaces/default/configmaps';
    const rv = (await raw(sb, 'GET', cms)).body.metadata.resourceVersion;
    await create(cms, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w1' }, data: { a: '1' } });
    await create(cms, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w2' } });

    const events = await watchEvents(`${cms}?watch=true&resourceVersion=${rv}`, KUBECTL_TABLE_ACCEPT, 2);
    expect(events.map((e) => [e.type, e.object.kind, e.object.rows[0].cells.slice(0, 2)])).toEqual([
      ['ADDED', 'Table', ['w1', 1]],
      ['ADDED', 'Table', ['w2', 0]],
    ]);
    expect(header(events[0].object)).toEqual(['Name', 'Data', 'Age']);
    expect(events[1].object.columnDefinitions).toBeNull();
    expect(events[1].object.metadata.resourceVersion).toBe(
      events[1].object.rows[0].object.metadata.resourceVersion,
    );

    const plain = await watchEvents(`${cms}?watch=true&resourceVersion=${rv}`, 'application/json', 1);
    expect(plain[0].object).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'w1' } });
  });
});

describe('pure helpers', () => {
  test("humanDuration matches apimachinery's HumanDuration", () => {
    const s = 1000;
    const cases: Array<[number, string]> = [
      [-2 * s, '<invalid>'],
      [-1 * s, '0s'],
      [0, '0s'],
      [119 * s, '119s'],
      [120 * s, '2m'],
      [150 * s, '2m30s'],
      [10 * 60 * s, '10m'],
      [179 * 60 * s, '179m'],
      [3 * 3600 * s, '3h'],
      [3.5 * 3600 * s, '3h30m'],
      [8 * 3600 * s, '8h'],
      [47 * 3600 * s, '47h'],
      [50 * 3600 * s, '2d2h'],
      [72 * 3600 * s, '3d'],
      [10 * 86400 * s, '10d'],
      [800 * 86400 * s, '2y70d'],
      [3 * 365 * 86400 * s, '3y'],
      [9 * 365 * 86400 * s, '9y'],
    ];
    for (const [ms, text] of cases) expect([ms, humanDuration(ms)]).toEqual([ms, text]);
  });

  test('the JSONPath subset of printer columns: fields, indices, wildcards and filters', () => {
    const o = {
      spec: { hosts: ['a', 'b'], 'odd.key': 1 },
      status: {
        conditions: [
          { type: 'Ready', status: 'True' },
          { type: 'Synced', status: 'False' },
        ],
      },
    };
    expect(jsonPathMatches(o, '.spec.hosts')).toEqual([['a', 'b']]);
    expect(jsonPathMatches(o, '.spec.hosts[1]')).toEqual(['b']);
    expect(jsonPathMatches(o, '.spec.hosts[-1]')).toEqual(['b']);
    expect(jsonPathMatches(o, '.spec.hosts[*]')).toEqual(['a', 'b']);
    expect(jsonPathMatches(o, ".spec['odd.key']")).toEqual([1]);
    expect(jsonPathMatches(o, '.status.conditions[?(@.type=="Synced")].status')).toEqual(['False']);
    expect(jsonPathMatches(o, '.spec.missing')).toEqual([]);
  });
});
