/**
 * The simulated deployment and ReplicaSet controllers, as kubectl users meet them: Deployments own
 * ReplicaSets (one per pod template, numbered by revision) that own Pods; rolling updates keep
 * within maxSurge/maxUnavailable; deleted Pods terminate gracefully; Events say what happened.
 * Every wait is on the server's own watch events.
 */
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { fenceposts } from '../../src/sandbox/controller.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import type { Clock } from '../../src/sandbox/util.js';
import { deployment, raw, start, tmpDir, waitFor } from './helpers.js';

const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';
const REPLICASETS = '/apis/apps/v1/namespaces/default/replicasets';
const PODS = '/api/v1/namespaces/default/pods';
const EVENTS = '/api/v1/namespaces/default/events';

const complete = (name: string, replicas: number) => (_t: string, d: any) =>
  d.metadata.name === name &&
  d.status?.observedGeneration === d.metadata.generation &&
  d.status?.updatedReplicas === replicas &&
  d.status?.replicas === replicas &&
  d.status?.availableReplicas === replicas &&
  d.status?.conditions?.some((c: any) => c.type === 'Progressing' && c.reason === 'NewReplicaSetAvailable');

const ownedBy = (o: any, uid: string) =>
  o.metadata.ownerReferences?.some((r: any) => r.uid === uid && r.controller);

describe('ReplicaSets', () => {
  let sb: Sandbox;
  let kc: KubeConfig;
  beforeAll(async () => {
    ({ sb, kc } = await start({ readyDelayMs: 20, terminationGraceMs: 150 }));
  });
  afterAll(() => sb.close());

  /** Where a watch starts so it sees everything after this point, however late it connects. */
  const rvOf = async (listPath: string) =>
    String((await raw(sb, 'GET', listPath)).body.metadata.resourceVersion);
  const rsOf = async (uid: string) =>
    ((await raw(sb, 'GET', REPLICASETS)).body.items as any[]).filter((rs) => ownedBy(rs, uid));
  const eventsFor = async (kind: string, name: string) =>
    (
      (
        await raw(
          sb,
          'GET',
          `${EVENTS}?fieldSelector=${encodeURIComponent(`involvedObject.kind=${kind},involvedObject.name=${name}`)}`,
        )
      ).body.items as any[]
    ).sort((a, b) => a.metadata.resourceVersion - b.metadata.resourceVersion);

  test('GIVEN a Deployment THEN it owns one ReplicaSet named by its pod-template-hash, revision 1, that owns its Pods, and Events say so', async () => {
    expect((await raw(sb, 'POST', DEPLOYMENTS, { body: deployment('web', 3) })).status).toBe(201);
    const d = await waitFor(kc, DEPLOYMENTS, {}, complete('web', 3));
    const [rs, ...more] = await rsOf(d.metadata.uid);
    expect(more).toEqual([]);
    const hash = rs.metadata.labels['pod-template-hash'];
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(rs.metadata.name).toBe(`web-${hash}`);
    expect(rs.metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
    });
    expect(rs.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'web',
        uid: d.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(rs.spec.selector.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs.spec.template.metadata.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs.status).toMatchObject({
      replicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      fullyLabeledReplicas: 3,
    });
    expect(d.metadata.annotations['deployment.kubernetes.io/revision']).toBe('1');
    expect(d.status.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }),
        expect.objectContaining({
          type: 'Progressing',
          status: 'True',
          reason: 'NewReplicaSetAvailable',
          message: `ReplicaSet "web-${hash}" has successfully progressed.`,
        }),
      ]),
    );

    const pods = (await raw(sb, 'GET', `${PODS}?labelSelector=app%3Dweb`)).body.items as any[];
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      expect(p.metadata.name).toMatch(new RegExp(`^web-${hash}-[a-z0-9]{5}$`));
      expect(p.metadata.labels['pod-template-hash']).toBe(hash);
      expect(p.metadata.ownerReferences).toEqual([
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: rs.metadata.name,
          uid: rs.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
    }

    const scaling = await eventsFor('Deployment', 'web');
    expect(scaling).toEqual([
      expect.objectContaining({
        reason: 'ScalingReplicaSet',
        message: `Scaled up replica set web-${hash} from 0 to 3`,
        type: 'Normal',
        count: 1,
        source: { component: 'deployment-controller' },
        involvedObject: expect.objectContaining({
          kind: 'Deployment',
          name: 'web',
          uid: d.metadata.uid,
          apiVersion: 'apps/v1',
        }),
      }),
    ]);
    expect(scaling[0].metadata.name).toMatch(/^web\.[0-9a-f]+$/);
    expect(scaling[0].firstTimestamp).toBe(scaling[0].lastTimestamp);
    const created = await eventsFor('ReplicaSet', rs.metadata.name);
    expect(created.map((e) => e.message).sort()).toEqual(
      pods.map((p) => `Created pod: ${p.metadata.name}`).sort(),
    );
    expect(
      created.every((e) => e.reason === 'SuccessfulCreate' && e.source.component === 'replicaset-controller'),
    ).toBe(true);
  });

  test('GIVEN maxSurge 1 and maxUnavailable 0 WHEN the image changes THEN the new ReplicaSet grows one Pod at a time as the old one shrinks, revision 2', async () => {
    const body = deployment('surge', 3, 'nginx:1.27', {
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    });
    expect((await raw(sb, 'POST', DEPLOYMENTS, { body })).status).toBe(201);
    const d = await waitFor(kc, DEPLOYMENTS, {}, complete('surge', 3));
    const [old] = await rsOf(d.metadata.uid);

    sb.holdReadiness(true);
    const patched = await raw(sb, 'PATCH', `${DEPLOYMENTS}/surge`, {
      body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:1.28' }] } } } },
      contentType: 'application/strategic-merge-patch+json',
    });
    expect(patched.status).toBe(200);
    const fresh = await waitFor(
      kc,
      REPLICASETS,
      {},
      (_t, rs) =>
        ownedBy(rs, d.metadata.uid) && rs.metadata.uid !== old.metadata.uid && rs.status?.replicas === 1,
    );
    // While the new Pod is not ready, nothing old may go (maxUnavailable 0) and nothing more is surged.
    const held = await rsOf(d.metadata.uid);
    expect(held.map((rs) => [rs.metadata.name, rs.spec.replicas]).sort()).toEqual(
      [
        [old.metadata.name, 3],
        [fresh.metadata.name, 1],
      ].sort(),
    );
    const during = (await raw(sb, 'GET', `${DEPLOYMENTS}/surge`)).body;
    expect(during.status).toMatchObject({
      replicas: 4,
      updatedReplicas: 1,
      availableReplicas: 3,
      unavailableReplicas: 1,
    });
    sb.holdReadiness(false);

    const done = await waitFor(kc, DEPLOYMENTS, {}, complete('surge', 3));
    expect(done.metadata.annotations['deployment.kubernetes.io/revision']).toBe('2');
    const after = await rsOf(d.metadata.uid);
    const byName = Object.fromEntries(after.map((rs) => [rs.metadata.name, rs]));
    expect(byName[old.metadata.name].spec.replicas).toBe(0);
    expect(byName[old.metadata.name].metadata.annotations['deployment.kubernetes.io/revision']).toBe('1');
    expect(byName[fresh.metadata.name].metadata.annotations['deployment.kubernetes.io/revision']).toBe('2');
    const n = fresh.metadata.name;
    const o = old.metadata.name;
    expect((await eventsFor('Deployment', 'surge')).map((e) => e.message)).toEqual([
      `Scaled up replica set ${o} from 0 to 3`,
      `Scaled up replica set ${n} from 0 to 1`,
      `Scaled down replica set ${o} from 3 to 2`,
      `Scaled up replica set ${n} from 1 to 2`,
      `Scaled down replica set ${o} from 2 to 1`,
      `Scaled up replica set ${n} from 2 to 3`,
      `Scaled down replica set ${o} from 1 to 0`,
    ]);
  });

  test('GIVEN Recreate WHEN the image changes THEN every old Pod is gone before the first new one is created', async () => {
    const body = deployment('recreate', 2, 'nginx:1.27', { strategy: { type: 'Recreate' } });
    expect((await raw(sb, 'POST', DEPLOYMENTS, { body })).status).toBe(201);
    const d = await waitFor(kc, DEPLOYMENTS, {}, complete('recreate', 2));
    const seen: string[] = [];
    const from = await rvOf(PODS);
    const watching = waitFor(
      kc,
      PODS,
      { labelSelector: 'app=recreate', resourceVersion: from },
      (type, p) => {
        const image = p.spec.containers[0].image;
        seen.push(`${type} ${image}${p.metadata.deletionTimestamp ? ' terminating' : ''}`);
        return type === 'MODIFIED' && image === 'nginx:1.28' && p.status?.phase === 'Running';
      },
    );
    await raw(sb, 'PATCH', `${DEPLOYMENTS}/recreate`, {
      body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:1.28' }] } } } },
      contentType: 'application/strategic-merge-patch+json',
    });
    await watching;
    const firstNew = seen.findIndex((s) => s.startsWith('ADDED nginx:1.28'));
    const lastOld = seen.map((s) => s.startsWith('DELETED nginx:1.27')).lastIndexOf(true);
    expect(seen.filter((s) => s.startsWith('DELETED nginx:1.27'))).toHaveLength(2);
    expect(lastOld).toBeLessThan(firstNew);
    await waitFor(kc, DEPLOYMENTS, {}, complete('recreate', 2));
    expect((await rsOf(d.metadata.uid)).map((rs) => rs.spec.replicas).sort()).toEqual([0, 2]);
  });

  test('GIVEN revisionHistoryLimit 1 WHEN the template changes three times THEN only the current and one old ReplicaSet remain', async () => {
    const body = deployment('hist', 1, 'nginx:1', { revisionHistoryLimit: 1 });
    expect((await raw(sb, 'POST', DEPLOYMENTS, { body })).status).toBe(201);
    let d = await waitFor(kc, DEPLOYMENTS, {}, complete('hist', 1));
    const from = await rvOf(REPLICASETS);
    for (const image of ['nginx:2', 'nginx:3', 'nginx:4']) {
      await raw(sb, 'PATCH', `${DEPLOYMENTS}/hist`, {
        body: { spec: { template: { spec: { containers: [{ name: 'app', image }] } } } },
        contentType: 'application/strategic-merge-patch+json',
      });
      d = await waitFor(kc, DEPLOYMENTS, {}, complete('hist', 1));
    }
    await waitFor(
      kc,
      REPLICASETS,
      { resourceVersion: from },
      (t, rs) => t === 'DELETED' && rs.spec.template.spec.containers[0].image === 'nginx:2',
    );
    const left = await rsOf(d.metadata.uid);
    expect(
      left
        .map((rs) => [
          rs.metadata.annotations['deployment.kubernetes.io/revision'],
          rs.spec.template.spec.containers[0].image,
        ])
        .sort(),
    ).toEqual([
      ['3', 'nginx:3'],
      ['4', 'nginx:4'],
    ]);
  });

  test('GIVEN a ReplicaSet written by a client THEN its selector is validated as the apiserver does, and a valid one gets its Pods', async () => {
    const rs = (labels: Record<string, string>) => ({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'solo', namespace: 'default' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'solo' } },
        template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } },
      },
    });
    const bad = await raw(sb, 'POST', REPLICASETS, { body: rs({ app: 'other' }) });
    expect(bad.status).toBe(422);
    expect(bad.body.details.causes).toContainEqual(
      expect.objectContaining({ field: 'spec.template.metadata.labels', reason: 'FieldValueInvalid' }),
    );
    const created = await raw(sb, 'POST', REPLICASETS, { body: rs({ app: 'solo' }) });
    expect(created.status).toBe(201);
    expect(created.body.spec.template.spec.terminationGracePeriodSeconds).toBe(30);
    const ready = await waitFor(
      kc,
      REPLICASETS,
      {},
      (_t, o) => o.metadata.name === 'solo' && o.status?.readyReplicas === 2,
    );
    expect(ready.status).toMatchObject({ replicas: 2, availableReplicas: 2, observedGeneration: 1 });
    const pods = (await raw(sb, 'GET', `${PODS}?labelSelector=app%3Dsolo`)).body.items;
    expect(pods.every((p: any) => ownedBy(p, created.body.metadata.uid))).toBe(true);
  });

  test('GIVEN a Deployment deleted THEN its ReplicaSets go and its Pods terminate', async () => {
    expect((await raw(sb, 'POST', DEPLOYMENTS, { body: deployment('gone', 1) })).status).toBe(201);
    const d = await waitFor(kc, DEPLOYMENTS, {}, complete('gone', 1));
    const from = await rvOf(PODS);
    const terminating = waitFor(
      kc,
      PODS,
      { labelSelector: 'app=gone', resourceVersion: from },
      (_t, p) => !!p.metadata.deletionTimestamp,
    );
    expect((await raw(sb, 'DELETE', `${DEPLOYMENTS}/gone`)).status).toBe(200);
    expect(await rsOf(d.metadata.uid)).toEqual([]);
    await terminating;
    await waitFor(kc, PODS, { labelSelector: 'app=gone', resourceVersion: from }, (t) => t === 'DELETED');
  });
});

/** Timers fire only when the test advances time. */
class ManualClock implements Clock {
  private t = Math.floor(Date.now() / 1000) * 1000;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private next = 0;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.next;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  };
  clearTimeout = (h: unknown) => void this.timers.delete(h as number);
  advance(ms: number): void {
    this.t += ms;
    for (;;) {
      const due = [...this.timers].filter(([, x]) => x.at <= this.t).sort(([, a], [, b]) => a.at - b.at)[0];
      if (!due) return;
      this.timers.delete(due[0]);
      due[1].fn();
    }
  }
}

describe('graceful termination, on a clock the test moves', () => {
  const READY_MS = 1000;
  const GRACE_MS = 5000;
  let sb: Sandbox;
  let kc: KubeConfig;
  const clock = new ManualClock();
  beforeAll(async () => {
    ({ sb, kc } = await start({ readyDelayMs: READY_MS, terminationGraceMs: GRACE_MS, clock }));
  });
  afterAll(() => sb.close());
  const rvOf = async (listPath: string) =>
    String((await raw(sb, 'GET', listPath)).body.metadata.resourceVersion);

  test('GIVEN a scale down THEN the Pod is Terminating (deletionTimestamp, grace period, Table STATUS) and not counted, then removed', async () => {
    expect((await raw(sb, 'POST', DEPLOYMENTS, { body: deployment('shrink', 2) })).status).toBe(201);
    await waitFor(kc, DEPLOYMENTS, {}, (_t, d) => d.metadata.name === 'shrink' && d.status?.replicas === 2);
    clock.advance(READY_MS);
    await waitFor(kc, DEPLOYMENTS, {}, complete('shrink', 2));
    const from = await rvOf(PODS);
    const terminating = waitFor(
      kc,
      PODS,
      { labelSelector: 'app=shrink', resourceVersion: from },
      (_t, p) => !!p.metadata.deletionTimestamp,
    );
    await raw(sb, 'PATCH', `${DEPLOYMENTS}/shrink`, {
      body: { spec: { replicas: 1 } },
      contentType: 'application/merge-patch+json',
    });
    const pod = await terminating;
    expect(pod.metadata.deletionGracePeriodSeconds).toBe(30);
    const removed = waitFor(
      kc,
      PODS,
      { labelSelector: 'app=shrink', resourceVersion: from },
      (t, p) => t === 'DELETED' && p.metadata.name === pod.metadata.name,
    );
    const table = await raw(sb, 'GET', `${PODS}/${pod.metadata.name}`, {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
    });
    expect(table.body.rows[0].cells[2]).toBe('Terminating');
    const d = (await raw(sb, 'GET', `${DEPLOYMENTS}/shrink`)).body;
    expect(d.status).toMatchObject({ replicas: 1, readyReplicas: 1, availableReplicas: 1 });
    clock.advance(GRACE_MS - 1);
    expect((await raw(sb, 'GET', `${PODS}/${pod.metadata.name}`)).status).toBe(200);
    clock.advance(1);
    await removed;
    expect((await raw(sb, 'GET', `${PODS}/${pod.metadata.name}`)).status).toBe(404);
  });
  test('GIVEN a Pod deleted through the API THEN the answer and the object carry deletionTimestamp, a replacement is created at once, and grace period 0 removes it at once', async () => {
    expect((await raw(sb, 'POST', DEPLOYMENTS, { body: deployment('del', 1) })).status).toBe(201);
    await waitFor(kc, DEPLOYMENTS, {}, (_t, d) => d.metadata.name === 'del' && d.status?.replicas === 1);
    clock.advance(READY_MS);
    await waitFor(kc, DEPLOYMENTS, {}, complete('del', 1));
    const [pod] = (await raw(sb, 'GET', `${PODS}?labelSelector=app%3Ddel`)).body.items;
    const replaced = waitFor(
      kc,
      PODS,
      { labelSelector: 'app=del', resourceVersion: await rvOf(PODS) },
      (t, p) => t === 'ADDED' && p.metadata.name !== pod.metadata.name,
    );
    const deleted = await raw(sb, 'DELETE', `${PODS}/${pod.metadata.name}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.metadata.deletionTimestamp).toEqual(expect.any(String));
    expect(deleted.body.metadata.deletionGracePeriodSeconds).toBe(30);
    const still = await raw(sb, 'GET', `${PODS}/${pod.metadata.name}`);
    expect(still.status).toBe(200);
    expect(still.body.metadata.deletionTimestamp).toBe(deleted.body.metadata.deletionTimestamp);
    const replacement = await replaced;

    const forced = await raw(sb, 'DELETE', `${PODS}/${replacement.metadata.name}`, {
      body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 },
    });
    expect(forced.status).toBe(200);
    expect((await raw(sb, 'GET', `${PODS}/${replacement.metadata.name}`)).status).toBe(404);
  });
});

describe('Events expire and terminating Pods survive a restart, on a clock the test moves', () => {
  const READY_MS = 1000;
  const GRACE_MS = 5000;
  const TTL_MS = 60_000;
  const clock = new ManualClock();
  const rvOf = async (sb: Sandbox, listPath: string) =>
    String((await raw(sb, 'GET', listPath)).body.metadata.resourceVersion);

  test('GIVEN events THEN each is deleted once the TTL has passed since its last update', async () => {
    const { sb, kc } = await start({ readyDelayMs: READY_MS, eventTtlMs: TTL_MS, clock });
    try {
      expect((await raw(sb, 'POST', DEPLOYMENTS, { body: deployment('ttl', 1) })).status).toBe(201);
      await waitFor(kc, EVENTS, {}, (_t, e) => e.reason === 'SuccessfulCreate');
      const before = (await raw(sb, 'GET', EVENTS)).body.items;
      expect(before.map((e: any) => e.reason).sort()).toEqual(['ScalingReplicaSet', 'SuccessfulCreate']);
      const from = await rvOf(sb, EVENTS);
      clock.advance(TTL_MS - 1);
      expect((await raw(sb, 'GET', EVENTS)).body.items).toHaveLength(2);
      const gone = waitFor(kc, EVENTS, { resourceVersion: from }, (t) => t === 'DELETED');
      clock.advance(1);
      await gone;
      expect((await raw(sb, 'GET', EVENTS)).body.items).toEqual([]);
    } finally {
      await sb.close();
    }
  });

  test('GIVEN a terminating Pod in the state file WHEN the sandbox restarts THEN it is still terminating and goes at the end of its grace', async () => {
    const statePath = path.join(tmpDir(), 'state.json');
    const opts = { readyDelayMs: READY_MS, terminationGraceMs: GRACE_MS, clock, statePath };
    let { sb, kc } = await start(opts);
    let name: string;
    try {
      expect((await raw(sb, 'POST', DEPLOYMENTS, { body: deployment('restart', 1) })).status).toBe(201);
      await waitFor(
        kc,
        DEPLOYMENTS,
        {},
        (_t, d) => d.metadata.name === 'restart' && d.status?.replicas === 1,
      );
      const from = await rvOf(sb, PODS);
      await raw(sb, 'PATCH', `${DEPLOYMENTS}/restart`, {
        body: { spec: { replicas: 0 } },
        contentType: 'application/merge-patch+json',
      });
      name = (await waitFor(kc, PODS, { resourceVersion: from }, (_t, p) => !!p.metadata.deletionTimestamp))
        .metadata.name;
    } finally {
      await sb.close();
    }
    ({ sb, kc } = await start(opts));
    try {
      const pod = await raw(sb, 'GET', `${PODS}/${name}`);
      expect(pod.status).toBe(200);
      expect(pod.body.metadata.deletionTimestamp).toEqual(expect.any(String));
      const from = await rvOf(sb, PODS);
      const removed = waitFor(
        kc,
        PODS,
        { resourceVersion: from },
        (t, p) => t === 'DELETED' && p.metadata.name === name,
      );
      clock.advance(GRACE_MS);
      await removed;
    } finally {
      await sb.close();
    }
  });
});

describe('maxSurge and maxUnavailable', () => {
  test('GIVEN percentages THEN surge rounds up and unavailable down; both zero makes unavailable 1', () => {
    expect(fenceposts('25%', '25%', 3)).toEqual([1, 0]);
    expect(fenceposts('25%', '25%', 10)).toEqual([3, 2]);
    expect(fenceposts(0, 0, 5)).toEqual([0, 1]);
    expect(fenceposts('0%', '50%', 5)).toEqual([0, 2]);
    expect(fenceposts(2, 7, 5)).toEqual([2, 5]);
  });
});
