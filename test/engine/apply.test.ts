import { applyObjects, prune } from '../../src/engine/apply.js';
import { checkOwnership } from '../../src/engine/ownership.js';
import { inPool, WRITES_IN_FLIGHT } from '../../src/engine/pool.js';
import { up, type EngineContext } from '../../src/engine/index.js';
import { compile, initialPlacement, resolveRevisions, type KubeObject } from '../../src/compile/index.js';
import type { Application, Component } from '../../src/appfile/types.js';
import type { ApplyOptions, ObjectRef, WriteOptions } from '../../src/cluster/types.js';
import { ClusterError } from '../../src/errors.js';
import { bookinfo } from '../fixtures/apps.js';
import { engineContext } from '../helpers/engine-context.js';
import { MemoryCluster } from '../helpers/memory-cluster.js';

/** Lets the event loop's microtasks run `n` times: writes answered out of order, without a clock. */
async function ticks(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

/** A MemoryCluster whose writes take a few turns to be answered, recording when each starts and ends. */
class SlowCluster extends MemoryCluster {
  readonly events: string[] = [];
  inFlight = 0;
  most = 0;
  private n = 0;
  private async slow<T>(what: string, write: () => Promise<T>): Promise<T> {
    this.inFlight++;
    this.most = Math.max(this.most, this.inFlight);
    this.events.push(`start ${what}`);
    await ticks(1 + (this.n++ % 7));
    try {
      return await write();
    } finally {
      this.inFlight--;
      this.events.push(`end ${what}`);
    }
  }
  override apply(obj: KubeObject, opts: ApplyOptions = {}): Promise<KubeObject> {
    return this.slow(`${obj.kind}/${obj.metadata.name}`, () => super.apply(obj, opts));
  }
  override delete(ref: ObjectRef, opts: WriteOptions = {}): Promise<boolean> {
    return this.slow(`${ref.kind}/${ref.name}`, () => super.delete(ref, opts));
  }
}

/** bookinfo with `n` more canary components (Deployment, Service, DestinationRule, VirtualService each). */
function wide(n: number): Application {
  const app = bookinfo();
  const reviews = app.components[0] as Component;
  const more = Array.from({ length: n }, (_, i) => ({
    ...reviews,
    name: `svc${String(i).padStart(3, '0')}`,
  }));
  return { ...app, components: [...app.components, ...more] };
}

function objectsOf(app: Application): KubeObject[] {
  const { current, history } = resolveRevisions(app, {});
  return compile(app, 'default', initialPlacement(app, current), history);
}

const kindOf = (e: string) => e.split(' ')[1]!.split('/')[0]!;

/** Whether the writes went kind after kind in `order`: no write of a later kind started before every earlier one was answered. */
function inTurn(events: readonly string[], order: readonly string[]): boolean {
  return order.every((kind, i) => {
    const lastEnd = events.map((e) => e.startsWith('end ') && kindOf(e) === kind).lastIndexOf(true);
    const firstLater = events.findIndex((e) => e.startsWith('start ') && order.indexOf(kindOf(e)) > i);
    return firstLater === -1 || lastEnd < firstLater;
  });
}

describe('applying many objects', () => {
  it('GIVEN 40 objects of each kind answered out of order THEN a kind starts only once every write of the kind before it was answered, and at most the pool size are in flight', async () => {
    const cluster = new SlowCluster();
    const objects = objectsOf(wide(40));
    const { changes } = await applyObjects(cluster, 'default', 'book-info', objects, { force: false });
    expect(changes.map((c) => c.object)).toEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`));
    expect(cluster.most).toBeGreaterThan(1);
    expect(cluster.most).toBeLessThanOrEqual(WRITES_IN_FLIGHT);
    expect(
      inTurn(cluster.events, ['Deployment', 'Service', 'Gateway', 'DestinationRule', 'VirtualService']),
    ).toBe(true);
  });

  it('GIVEN stale objects THEN routes are deleted before the subsets and workloads they point at, a kind at a time', async () => {
    const cluster = new SlowCluster();
    const objects = objectsOf(wide(20));
    for (const o of objects) cluster.put(o);
    await prune(cluster, 'default', objects);
    expect(cluster.most).toBeGreaterThan(1);
    expect(
      inTurn(cluster.events, ['VirtualService', 'DestinationRule', 'Gateway', 'Service', 'Deployment']),
    ).toBe(true);
    expect(cluster.objects.size).toBe(0);
  });

  it('GIVEN a foreign object late in apply order THEN nothing at all is written, not even the objects before it', async () => {
    const cluster = new MemoryCluster();
    const objects = objectsOf(wide(5));
    const last = objects.at(-1)!;
    cluster.put({ ...last, metadata: { ...last.metadata, labels: {} } });
    await expect(applyObjects(cluster, 'default', 'book-info', objects, { force: false })).rejects.toThrow(
      'is not managed by vela-ts',
    );
    expect(cluster.writes()).toEqual([]);
  });
});

describe('ownership by list', () => {
  const ctx = (cluster: MemoryCluster): EngineContext => engineContext(cluster);
  const managed = /^(Deployment|Service|Gateway|DestinationRule|VirtualService)\//;

  it('GIVEN a first deploy THEN no object is looked up one by one, and the lists do not grow with the app', async () => {
    const lists = async (extra: number) => {
      const cluster = new MemoryCluster();
      const res = await up(ctx(cluster), wide(extra), 'default');
      expect(res.kind).toBe('succeeded');
      expect(cluster.calls.filter((c) => c.verb === 'get' && managed.test(c.key))).toEqual([]);
      return cluster.calls.filter((c) => c.verb === 'list' && managed.test(c.key)).map((c) => c.key);
    };
    expect(await lists(26)).toEqual(await lists(1));
  });

  it('GIVEN a stranger’s Service among 30 components THEN the check names it, found by the list', async () => {
    const cluster = new MemoryCluster();
    cluster.put({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'svc007', namespace: 'default', labels: { team: 'other' } },
    });
    const objects = objectsOf(wide(26));
    await expect(checkOwnership(cluster, 'default', 'book-info', objects, false)).rejects.toThrow(
      'Service default/svc007 already exists and is not managed by vela-ts',
    );
    expect(cluster.calls.filter((c) => c.verb === 'get')).toEqual([]);
  });
});

describe('the write pool', () => {
  it('GIVEN a failure THEN nothing new starts, the writes in flight finish, and the failure is thrown', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const run = inPool([...Array(20).keys()], 3, async (i) => {
      started.push(i);
      await ticks(i % 3);
      if (i === 4) throw new ClusterError('refused', 422);
      finished.push(i);
      return i;
    });
    await expect(run).rejects.toThrow('refused');
    expect(started.length).toBeLessThan(20);
    expect(finished.length).toBe(started.length - 1);
  });

  it('GIVEN work THEN the results come back in input order whatever order it finished in', async () => {
    const out = await inPool([5, 1, 4, 2, 3], 2, async (n) => {
      await ticks(n);
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
  });
});
