import { acquireLock, peekLease } from '../../src/engine/lock.js';
import { up, type EngineContext } from '../../src/engine/index.js';
import { silentReporter } from '../../src/engine/context.js';
import { bookinfo, seedWorkflow, V3 } from '../fixtures/apps.js';
import { MemoryCluster } from '../helpers/memory-cluster.js';

// What a run asks the cluster (issue 8): its moves and their records, not a re-list of the app
// after every write of its own. Asserted on the recording fake, as Argo Rollouts' tests do.

function context(
  cluster: MemoryCluster,
  pid = 100,
  alive: (pid: number) => boolean = () => true,
): EngineContext {
  return {
    cluster,
    clock: {
      now: () => Date.parse('2026-01-01T00:00:00Z'),
      sleep: () => Promise.resolve(),
      setTimeout: () => undefined,
      clearTimeout: () => undefined,
    },
    report: silentReporter,
    identity: `dev@laptop/${pid}`,
    machine: 'machine-of-laptop',
    pid,
    started: '',
    timeoutMs: 1000,
    force: false,
    isAlive: alive,
  };
}

/** Lists of `kind` since call `from`, other than the one the fake's readiness wait makes (its watch). */
const lists = (cluster: MemoryCluster, from: number, kind: string) =>
  cluster.calls
    .slice(from)
    .filter(
      (c, i, calls) => c.verb === 'list' && c.key.startsWith(`${kind}/`) && calls[i - 1]?.verb !== 'waitFor',
    ).length;

describe('the requests of a run', () => {
  it('GIVEN a first deploy THEN each kind is listed once, for the ownership check, however many moves follow', async () => {
    const cluster = new MemoryCluster();
    const res = await up(context(cluster), bookinfo(), 'default');
    expect(res.kind).toBe('succeeded');
    expect(cluster.calls.filter((c) => c.verb === 'apply').length).toBeGreaterThan(5);
    for (const kind of ['Deployment', 'Service', 'Gateway', 'DestinationRule', 'VirtualService'])
      expect({ kind, lists: lists(cluster, 0, kind) }).toEqual({ kind, lists: 1 });
  });

  it('GIVEN a canary to its approval gate THEN the drive lists nothing after its own writes', async () => {
    const cluster = new MemoryCluster();
    const ctx = context(cluster);
    await up(ctx, bookinfo(), 'default');
    const mark = cluster.calls.length;
    const res = await up(
      ctx,
      bookinfo({ reviewsImage: V3, batches: [1, 1], workflow: seedWorkflow }),
      'default',
    );
    expect(res.kind).toBe('suspended');
    const moves = cluster.calls
      .slice(mark)
      .filter((c) => c.verb === 'replace' && c.key.startsWith('ConfigMap/'));
    expect(moves.length).toBeGreaterThan(3);
    expect(lists(cluster, mark, 'Service')).toBe(1);
    expect(lists(cluster, mark, 'VirtualService')).toBe(1);
  });
});

describe('a lease looked at before the lock is taken', () => {
  it('GIVEN a free lease nobody wrote since the look THEN it is taken, untouched since the look', async () => {
    const cluster = new MemoryCluster();
    await (await acquireLock(context(cluster, 1), 'default', 'book-info')).release();
    const seen = await peekLease(context(cluster, 2), 'default', 'book-info');
    const lock = await acquireLock(context(cluster, 2), 'default', 'book-info', seen);
    expect(lock.untouchedSinceSeen).toBe(true);
  });

  it('GIVEN another driver took and released the lease after the look THEN it is taken, but not as untouched', async () => {
    const cluster = new MemoryCluster();
    const seen = await peekLease(context(cluster, 2), 'default', 'book-info');
    await (await acquireLock(context(cluster, 1), 'default', 'book-info')).release();
    const lock = await acquireLock(context(cluster, 2), 'default', 'book-info', seen);
    expect(lock.untouchedSinceSeen).toBe(false);
    expect(
      (cluster.objects.get('Lease/default/vela-ts-book-info')?.spec as { holderIdentity: string })
        .holderIdentity,
    ).toBe('dev@laptop/2');
  });

  it('GIVEN a lease left by a driver that died on this machine THEN it is taken over, but not as untouched', async () => {
    const cluster = new MemoryCluster();
    await acquireLock(context(cluster, 1), 'default', 'book-info');
    const ctx = context(cluster, 2, (pid) => pid !== 1);
    const lock = await acquireLock(ctx, 'default', 'book-info', await peekLease(ctx, 'default', 'book-info'));
    expect(lock.untouchedSinceSeen).toBe(false);
  });
});
