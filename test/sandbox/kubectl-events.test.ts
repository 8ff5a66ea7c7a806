/**
 * The sandbox's Events through both groups that serve them: core/v1 (what `kubectl events` and
 * `kubectl get events` read) and events.k8s.io/v1 (`kubectl get events.v1.events.k8s.io`), the
 * same stored Events in the newer shape, as the apiserver converts them. The Events are the
 * controller's own, for a Deployment made with `kubectl create deployment`. Real kubectl 1.32.
 */
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Sandbox } from '../../src/sandbox/index.js';
import { kubectlIn, raw, start, tmpDir, waitFor } from './helpers.js';

/** kubectl's table output as records keyed by header, cut at the header's column offsets. */
function rowsOf(stdout: string): Array<Record<string, string>> {
  const [head, ...lines] = stdout.split('\n').filter((l) => l.trim() !== '');
  const starts = [...head!.matchAll(/\S+( \S+)?/g)].map((m) => ({ name: m[0], at: m.index }));
  return lines.map((line) =>
    Object.fromEntries(
      starts.map((c, i) => [c.name, line.slice(c.at, starts[i + 1]?.at ?? line.length).trim()]),
    ),
  );
}

/** The rows without LAST SEEN, which moves on between two commands. */
const unaged = (rows: Array<Record<string, string>>) => rows.map(({ 'LAST SEEN': _l, ...r }) => r);

describe('Events as core/v1 and as events.k8s.io/v1', () => {
  let dir: string;
  let sb: Sandbox;
  let kc: KubeConfig;
  let kubeconfig: string;
  let rs: string;
  const run = kubectlIn(() => ({ dir, kubeconfig }));
  const kubectl = (...args: string[]) => run(args);
  const ok = async (...args: string[]) => {
    const r = await kubectl(...args);
    expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
    return r.stdout;
  };

  beforeAll(async () => {
    dir = tmpDir('vela-kubectl-events-');
    kubeconfig = path.join(dir, 'kubeconfig');
    ({ sb, kc } = await start({ kubeconfigPath: kubeconfig }));
    await ok('create', 'deployment', 'web', '--image=nginx', '--replicas=2');
    await ok('rollout', 'status', 'deployment/web', '--timeout=30s');
    rs = (await ok('get', 'rs', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}')).trim();
  });
  afterAll(() => sb.close());

  /** The controller's Events for the Deployment and its ReplicaSet; kubectl events writes kinds as they are. */
  const expectedRows = (kinds = { d: 'deployment', rs: 'replicaset' }) =>
    expect.arrayContaining([
      {
        TYPE: 'Normal',
        REASON: 'ScalingReplicaSet',
        OBJECT: `${kinds.d}/web`,
        MESSAGE: `Scaled up replica set ${rs} from 0 to 2`,
      },
      {
        TYPE: 'Normal',
        REASON: 'SuccessfulCreate',
        OBJECT: `${kinds.rs}/${rs}`,
        MESSAGE: expect.stringMatching(new RegExp(`^Created pod: ${rs}-\\w+$`)),
      },
    ]);

  test('GIVEN discovery THEN events.k8s.io/v1 serves events (ev), namespaced, read-only', async () => {
    expect((await ok('api-versions')).split('\n')).toContain('events.k8s.io/v1');
    expect(rowsOf(await ok('api-resources', '--api-group=events.k8s.io', '-o', 'wide'))).toEqual([
      {
        NAME: 'events',
        SHORTNAMES: 'ev',
        APIVERSION: 'events.k8s.io/v1',
        NAMESPACED: 'true',
        KIND: 'Event',
        VERBS: 'get,list,watch',
        CATEGORIES: '',
      },
    ]);
  });

  test('GIVEN kubectl get events.v1.events.k8s.io THEN the rows kubectl get events shows', async () => {
    const v1 = rowsOf(await ok('get', 'events.v1.events.k8s.io'));
    const core = rowsOf(await ok('get', 'events'));
    expect(Object.keys(v1[0]!)).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    expect(unaged(v1)).toEqual(expectedRows());
    expect(unaged(v1)).toEqual(unaged(core));
    for (const r of v1) expect(r['LAST SEEN']).toMatch(/^\d+s$/);
  });

  test('GIVEN the same Event in both groups THEN the events.k8s.io one has the converted fields only', async () => {
    const core = JSON.parse(await ok('get', 'events', '-o', 'json')).items;
    const v1 = JSON.parse(await ok('get', 'events.v1.events.k8s.io', '-o', 'json')).items;
    expect(v1.map((e: any) => e.metadata.name)).toEqual(core.map((e: any) => e.metadata.name));
    for (const [i, c] of core.entries()) {
      expect(v1[i]).toEqual({
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: c.metadata,
        eventTime: null,
        reportingController: c.reportingComponent,
        reason: c.reason,
        regarding: c.involvedObject,
        note: c.message,
        type: 'Normal',
        deprecatedSource: c.source,
        deprecatedFirstTimestamp: c.firstTimestamp,
        deprecatedLastTimestamp: c.lastTimestamp,
        deprecatedCount: c.count,
      });
    }
    const scaled = v1.find((e: any) => e.reason === 'ScalingReplicaSet');
    expect(scaled).toMatchObject({
      reportingController: 'deployment-controller',
      regarding: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'default' },
      deprecatedSource: { component: 'deployment-controller' },
      deprecatedCount: 1,
    });
  });

  test('GIVEN the list and one Event over HTTPS THEN an events.k8s.io/v1 EventList and Event; a missing one is a 404 in its group', async () => {
    const list = await raw(sb, 'GET', '/apis/events.k8s.io/v1/namespaces/default/events');
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ kind: 'EventList', apiVersion: 'events.k8s.io/v1' });
    expect(list.body.items[0].apiVersion).toBeUndefined();
    const name = list.body.items[0].metadata.name;
    const one = await raw(sb, 'GET', `/apis/events.k8s.io/v1/namespaces/default/events/${name}`);
    expect(one.body).toEqual({ apiVersion: 'events.k8s.io/v1', kind: 'Event', ...list.body.items[0] });
    // In events/v1 types.go order, as the apiserver encodes it (kubectl -o json sorts them).
    expect(Object.keys(one.body)).toEqual([
      'apiVersion',
      'kind',
      'metadata',
      'eventTime',
      'reportingController',
      'reason',
      'regarding',
      'note',
      'type',
      'deprecatedSource',
      'deprecatedFirstTimestamp',
      'deprecatedLastTimestamp',
      'deprecatedCount',
    ]);
    const missing = await kubectl('get', 'events.v1.events.k8s.io', 'nope');
    expect(missing).toMatchObject({
      code: 1,
      stderr: 'Error from server (NotFound): events.events.k8s.io "nope" not found\n',
    });
    const create = await raw(sb, 'POST', '/apis/events.k8s.io/v1/namespaces/default/events', {
      body: { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'x' } },
    });
    expect(create.status).toBe(405);
  });

  test("GIVEN field selectors THEN events.k8s.io takes its own labels (regarding.*, reportingController), not core's", async () => {
    const objects = async (...args: string[]) =>
      rowsOf(await ok('get', 'events.v1.events.k8s.io', ...args)).map((r) => r.OBJECT);
    expect(await objects('--field-selector', 'regarding.kind=Deployment')).toEqual(['deployment/web']);
    expect(await objects('--field-selector', 'reportingController=replicaset-controller')).toEqual([
      `replicaset/${rs}`,
      `replicaset/${rs}`,
    ]);
    const core = await kubectl(
      'get',
      'events.v1.events.k8s.io',
      '--field-selector',
      'involvedObject.kind=Deployment',
    );
    expect(core).toMatchObject({
      code: 1,
      stderr:
        'Error from server (BadRequest): Unable to find "events.k8s.io/v1, Resource=events" that match label selector "", field selector "involvedObject.kind=Deployment": field label not supported: involvedObject.kind\n',
    });
  });

  test('GIVEN a watch on events.k8s.io/v1 WHEN the Deployment scales THEN the new Event arrives in the v1 shape', async () => {
    const scaled = waitFor(
      kc,
      '/apis/events.k8s.io/v1/namespaces/default/events',
      {},
      (type, e) => type === 'ADDED' && e.note === `Scaled up replica set ${rs} from 2 to 3`,
    );
    await ok('scale', 'deployment/web', '--replicas=3');
    expect(await scaled).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      reason: 'ScalingReplicaSet',
      regarding: { kind: 'Deployment', name: 'web' },
      deprecatedSource: { component: 'deployment-controller' },
    });
  });

  test("GIVEN a client's core Event with eventTime, a series and only the reporting fields THEN both groups print and convert those", async () => {
    const at = new Date(Math.floor(Date.now() / 1000) * 1000);
    const micro = (d: Date) => d.toISOString().replace(/\.(\d{3})Z$/, '.$1456Z');
    const made = await raw(sb, 'POST', '/api/v1/namespaces/default/events', {
      body: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'pulled' },
        involvedObject: { apiVersion: 'v1', kind: 'Pod', name: 'p', namespace: 'default' },
        reason: 'Pulled',
        message: 'Pulled the image',
        type: 'Normal',
        eventTime: micro(at),
        series: { count: 3, lastObservedTime: micro(at) },
        action: 'Pull',
        reportingComponent: 'kubelet',
        reportingInstance: 'node-1',
      },
    });
    expect(made.status).toBe(201);
    for (const resource of ['events', 'events.v1.events.k8s.io']) {
      const [row] = rowsOf(await ok('get', resource, 'pulled', '-o', 'wide'));
      expect(row).toMatchObject({ OBJECT: 'pod/p', SOURCE: 'kubelet, node-1', COUNT: '3', NAME: 'pulled' });
    }
    const v1 = await raw(sb, 'GET', '/apis/events.k8s.io/v1/namespaces/default/events/pulled');
    const { metadata: _m, ...fields } = v1.body;
    expect(fields).toEqual({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      eventTime: micro(at),
      series: { count: 3, lastObservedTime: micro(at) },
      reportingController: 'kubelet',
      reportingInstance: 'node-1',
      action: 'Pull',
      reason: 'Pulled',
      regarding: { apiVersion: 'v1', kind: 'Pod', name: 'p', namespace: 'default' },
      note: 'Pulled the image',
      type: 'Normal',
      deprecatedSource: {},
      deprecatedFirstTimestamp: null,
      deprecatedLastTimestamp: null,
    });
    expect(await ok('delete', 'event', 'pulled')).toBe('event "pulled" deleted\n');
  });

  // After the watch test's scale to 3, whose Event is the newest.
  test('GIVEN kubectl events THEN it lists the core Events, and --for one object only its own', async () => {
    const all = rowsOf(await ok('events'));
    expect(Object.keys(all[0]!)).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    expect(unaged(all)).toEqual(expectedRows({ d: 'Deployment', rs: 'ReplicaSet' }));
    // Oldest first, by when each last happened.
    expect(all.at(-1)!.MESSAGE).toBe(`Scaled up replica set ${rs} from 2 to 3`);
    const forWeb = unaged(rowsOf(await ok('events', '--for', 'deployment/web')));
    expect(forWeb.map((r) => r.MESSAGE)).toEqual([
      `Scaled up replica set ${rs} from 0 to 2`,
      `Scaled up replica set ${rs} from 2 to 3`,
    ]);
    expect(await kubectl('events', '--types=Warning')).toEqual({
      code: 0,
      stdout: '',
      stderr: 'No events found in default namespace.\n',
    });
  });
});
