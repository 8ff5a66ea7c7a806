import { acquireLock } from '../../src/engine/lock.js';
import { up, type EngineContext } from '../../src/engine/index.js';
import { silentReporter } from '../../src/engine/context.js';
import { ClusterError, LockedError, UsageError } from '../../src/errors.js';
import { bookinfo, seedWorkflow, V3 } from '../fixtures/apps.js';
import { MemoryCluster } from '../helpers/memory-cluster.js';

/** Timers that never fire: the lease is not renewed while a test runs, unless it says so. */
const noTimers = { setTimeout: () => undefined, clearTimeout: () => undefined };

function context(
  cluster: MemoryCluster,
  opts: {
    host?: string;
    machine?: string;
    pid?: number;
    alive?: (pid: number) => boolean;
    now?: () => number;
  } = {},
): EngineContext {
  const host = opts.host ?? 'laptop';
  const pid = opts.pid ?? 100;
  return {
    cluster,
    clock: {
      now: opts.now ?? (() => Date.parse('2026-01-01T00:00:00Z')),
      sleep: () => Promise.resolve(),
      ...noTimers,
    },
    report: silentReporter,
    identity: `dev@${host}/${pid}`,
    // In these tests a host stands for one machine and PID namespace.
    machine: `machine-of-${opts.machine ?? host}`,
    pid,
    started: '',
    timeoutMs: 1000,
    force: false,
    isAlive: opts.alive ?? (() => true),
  };
}

describe('the lock', () => {
  it('GIVEN a live holder THEN a second driver is refused at once, naming it', async () => {
    const cluster = new MemoryCluster();
    await acquireLock(context(cluster, { pid: 1 }), 'default', 'book-info');
    await expect(acquireLock(context(cluster, { pid: 2 }), 'default', 'book-info')).rejects.toThrow(
      /book-info is being driven by dev@laptop\/1 since 2026-01-01T00:00:00Z/,
    );
  });

  it('GIVEN a holder that died on this host THEN its lock is taken over at once', async () => {
    const cluster = new MemoryCluster();
    await acquireLock(context(cluster, { pid: 1 }), 'default', 'book-info');
    const lock = await acquireLock(
      context(cluster, { pid: 2, alive: (p) => p !== 1 }),
      'default',
      'book-info',
    );
    expect(
      (cluster.objects.get('Lease/default/vela-ts-book-info')?.spec as { holderIdentity: string })
        .holderIdentity,
    ).toBe('dev@laptop/2');
    await lock.release();
    // Released by clearing the holder (a write that cannot remove someone else's lease).
    expect(
      (cluster.objects.get('Lease/default/vela-ts-book-info')?.spec as { holderIdentity: string })
        .holderIdentity,
    ).toBe('');
    const next = await acquireLock(context(cluster, { pid: 3 }), 'default', 'book-info');
    expect(next.lost).toBeUndefined();
  });

  /** A cluster where the holder renews its lease (or not) while a reader watches it. */
  function watched(cluster: MemoryCluster, renews: boolean): string[] {
    const seen: string[] = [];
    const waitFor = cluster.waitFor.bind(cluster);
    cluster.waitFor = async (kind, namespace, done, opts) => {
      seen.push(`watch ${kind.kind} ${opts.fieldSelector} for ${opts.timeoutMs}ms`);
      if (renews) {
        const lease = cluster.objects.get('Lease/default/vela-ts-book-info')!;
        await cluster.replace({ ...lease, spec: { ...(lease.spec as object), renewTime: 'renewed' } });
      }
      return waitFor(kind, namespace, done, opts);
    };
    return seen;
  }

  it('GIVEN a holder on another machine that renews while we watch THEN we are refused, its lease untouched, whatever its timestamps say', async () => {
    const cluster = new MemoryCluster();
    // Its clock is an hour behind ours: by timestamps it looks long expired.
    await acquireLock(
      context(cluster, { host: 'ci-runner', pid: 1, now: () => Date.parse('2026-01-01T00:00:00Z') }),
      'default',
      'book-info',
    );
    const seen = watched(cluster, true);
    const reader = context(cluster, { now: () => Date.parse('2026-01-01T01:00:00Z') });
    await expect(acquireLock(reader, 'default', 'book-info')).rejects.toThrow(
      /being driven by dev@ci-runner\/1 .*it renewed its lease just now/,
    );
    expect(seen).toEqual(['watch Lease metadata.name=vela-ts-book-info for 15000ms']);
    expect(
      (cluster.objects.get('Lease/default/vela-ts-book-info')?.spec as { holderIdentity: string })
        .holderIdentity,
    ).toBe('dev@ci-runner/1');
  });

  it('GIVEN a holder on another machine whose clock is 20 s ahead WHEN it stops renewing THEN it is taken over only after we watched it unrenewed for its duration', async () => {
    const cluster = new MemoryCluster();
    await acquireLock(
      context(cluster, { host: 'ci-runner', pid: 1, now: () => Date.parse('2026-01-01T00:00:20Z') }),
      'default',
      'book-info',
    );
    const seen = watched(cluster, false);
    const lock = await acquireLock(context(cluster), 'default', 'book-info');
    expect(seen).toEqual(['watch Lease metadata.name=vela-ts-book-info for 15000ms']);
    expect(
      (cluster.objects.get('Lease/default/vela-ts-book-info')?.spec as { holderIdentity: string })
        .holderIdentity,
    ).toBe('dev@laptop/100');
    await lock.release();
  });

  it('GIVEN a holder with our hostname in another PID namespace (a container) THEN its pid is not looked up here: it is watched like any remote holder', async () => {
    const cluster = new MemoryCluster();
    await acquireLock(context(cluster, { machine: 'container-a', pid: 1 }), 'default', 'book-info');
    const seen = watched(cluster, true);
    // Pid 1 does not run in our namespace: by hostname and kill(pid, 0) alone it would look dead.
    const reader = context(cluster, { machine: 'container-b', pid: 2, alive: () => false });
    await expect(acquireLock(reader, 'default', 'book-info')).rejects.toBeInstanceOf(LockedError);
    expect(seen).toHaveLength(1);
  });

  it('GIVEN renewals that keep failing (the API server unreachable) THEN past the 10 s renewal deadline the lock counts as lost, before anyone may take it (15 s)', async () => {
    const cluster = new MemoryCluster();
    const due: (() => void)[] = [];
    let time = Date.parse('2026-01-01T00:00:00Z');
    const ctx = context(cluster, { pid: 1, now: () => time });
    const lock = await acquireLock(
      {
        ...ctx,
        clock: { ...ctx.clock, setTimeout: (fn: () => void) => due.push(fn), clearTimeout: () => undefined },
      },
      'default',
      'book-info',
    );
    cluster.replace = () => Promise.reject(new ClusterError('the cluster could not be reached', 0));
    const tick = async (ms: number) => {
      time += ms;
      due.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    };
    await tick(5000);
    expect(lock.lost).toBeUndefined();
    await tick(5000);
    expect(lock.lost).toBe('could not renew it for 10s');
  });

  it('GIVEN a held lease WHEN another driver takes it over between renewals THEN the next renewal, on the clock, finds the lock lost', async () => {
    const cluster = new MemoryCluster();
    // Timers fire only when the test says so: the renewal is one step of the clock.
    const due: (() => void)[] = [];
    const ctx = context(cluster, { pid: 1 });
    const lock = await acquireLock(
      {
        ...ctx,
        clock: { ...ctx.clock, setTimeout: (fn: () => void) => due.push(fn), clearTimeout: () => undefined },
      },
      'default',
      'book-info',
    );
    expect(due).toHaveLength(1);
    const lease = cluster.objects.get('Lease/default/vela-ts-book-info')!;
    await cluster.replace({ ...lease, spec: { ...(lease.spec as object), holderIdentity: 'ops@other/9' } });
    expect(lock.lost).toBeUndefined();
    due.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(lock.lost).toBe('now held by ops@other/9');
    // Once lost, it is not renewed again, and releasing it leaves the new holder alone.
    expect(due).toHaveLength(0);
    await lock.release();
    expect(
      (cluster.objects.get('Lease/default/vela-ts-book-info')?.spec as { holderIdentity: string })
        .holderIdentity,
    ).toBe('ops@other/9');
  });
});

describe('up against a recording fake', () => {
  it('GIVEN a first deploy THEN every object is written once; GIVEN the same spec again THEN only reads', async () => {
    const cluster = new MemoryCluster();
    const ctx = context(cluster);
    const first = await up(ctx, bookinfo(), 'default');
    expect(first.kind).toBe('succeeded');
    const applied = cluster
      .writes()
      .filter((c) => c.verb === 'apply')
      .map((c) => c.key);
    expect(applied).toEqual([
      'Deployment/default/details',
      'Deployment/default/productpage',
      'Deployment/default/ratings',
      'Deployment/default/reviews-v1',
      'Service/default/details',
      'Service/default/productpage',
      'Service/default/ratings',
      'Service/default/reviews',
      'Gateway/default/productpage',
      'DestinationRule/default/reviews',
      'VirtualService/default/productpage',
      'VirtualService/default/reviews',
    ]);
    const before = cluster.calls.length;
    const again = await up(ctx, bookinfo(), 'default');
    expect(again.kind).toBe('unchanged');
    expect(cluster.calls.slice(before).every((c) => c.verb === 'get' || c.verb === 'list')).toBe(true);
  });

  it('GIVEN the rollout THEN each move writes only the object it changes, and subsets come before routes', async () => {
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
    const writes = cluster.calls
      .slice(mark)
      .filter((c) => (c.verb === 'apply' || c.verb === 'delete') && !c.key.startsWith('Lease/'))
      .map((c) => `${c.verb} ${c.key}`);
    // All traffic is pinned to the old subset before the new revision has a pod (routed through
    // the whole Service, the new pods would take a share); once the new pod is ready its subset is
    // added, then the route that uses it; the old revision shrinks only after its share moved.
    expect(writes).toEqual([
      'apply VirtualService/default/reviews',
      'apply Deployment/default/reviews-v2',
      'apply DestinationRule/default/reviews',
      'apply VirtualService/default/reviews',
      'apply Deployment/default/reviews-v1',
    ]);
  });

  it('GIVEN a traffic settle time THEN every route or subset change is followed by a pause before the next move', async () => {
    const cluster = new MemoryCluster();
    const log: string[] = [];
    // Time moves only when the engine sleeps, so the pauses are exactly what the settle rule asks.
    let time = Date.parse('2026-01-01T00:00:00Z');
    const ctx = {
      ...context(cluster),
      trafficSettleMs: 5000,
      clock: {
        ...noTimers,
        now: () => time,
        sleep: (ms: number) => {
          log.push(`sleep ${ms}`);
          time += ms;
          return Promise.resolve();
        },
      },
    };
    await up(ctx, bookinfo(), 'default');
    const suspended = await up(
      ctx,
      bookinfo({ reviewsImage: V3, batches: [1, 1], workflow: seedWorkflow }),
      'default',
    );
    expect(suspended.kind).toBe('suspended');
    const mark = cluster.calls.length;
    log.length = 0;
    const original = cluster.apply.bind(cluster);
    const originalDelete = cluster.delete.bind(cluster);
    cluster.apply = (obj, opts) => (log.push(`apply ${obj.kind}/${obj.metadata.name}`), original(obj, opts));
    cluster.delete = (ref, opts) => (
      ref.kind === 'Lease' ? undefined : log.push(`delete ${ref.kind}/${ref.name}`),
      originalDelete(ref, opts)
    );
    const { resume } = await import('../../src/engine/index.js');
    await resume(ctx, 'default', 'book-info');
    expect(cluster.calls.length).toBeGreaterThan(mark);
    expect(log.filter((l) => !l.startsWith('apply Lease'))).toEqual([
      'apply Deployment/reviews-v2',
      'apply VirtualService/reviews',
      'sleep 5000',
      'apply DestinationRule/reviews',
      'sleep 5000',
      'delete Deployment/reviews-v1',
    ]);
  });

  it('GIVEN an object of the same name that vela-ts does not manage THEN up refuses and writes none of the app', async () => {
    const cluster = new MemoryCluster();
    cluster.put({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'details', namespace: 'default' },
      spec: {},
    });
    await expect(up(context(cluster), bookinfo(), 'default')).rejects.toThrow(
      'Service default/details already exists and is not managed by vela-ts',
    );
    expect(cluster.writes().filter((c) => c.verb === 'apply' && c.key.startsWith('Service/'))).toEqual([]);
  });
});

describe('review fixes against the recording fake', () => {
  it('GIVEN another app with a component of the same name THEN up refuses before writing any object', async () => {
    const cluster = new MemoryCluster();
    await up(context(cluster), bookinfo(), 'default');
    const other = { ...bookinfo(), name: 'other-app' };
    const mark = cluster.calls.length;
    await expect(up(context(cluster), other, 'default')).rejects.toThrow(
      'Deployment default/details already exists and belongs to vela-ts app "book-info"',
    );
    const writes = cluster.calls
      .slice(mark)
      .filter((c) => ['apply', 'create', 'replace', 'delete'].includes(c.verb));
    expect(writes.filter((c) => !c.key.startsWith('Lease/'))).toEqual([]);
  });

  it('GIVEN a field the spec stops setting (scaler removed) THEN the Deployment is written again', async () => {
    const cluster = new MemoryCluster();
    const scaled = bookinfo();
    scaled.components[2]!.traits.push({ type: 'scaler', properties: { replicas: 3 } });
    await up(context(cluster), scaled, 'default');
    const mark = cluster.calls.length;
    await up(context(cluster), bookinfo(), 'default');
    const applied = cluster.calls
      .slice(mark)
      .filter((c) => c.verb === 'apply')
      .map((c) => c.key);
    expect(applied).toEqual(['Deployment/default/ratings']);
  });

  it("GIVEN our own state write lands but its answer is lost THEN the run goes on (it is not mistaken for someone else's edit)", async () => {
    const cluster = new MemoryCluster();
    const ctx = context(cluster);
    await up(ctx, bookinfo(), 'default');
    const original = cluster.replace.bind(cluster);
    let dropped = 0;
    cluster.replace = async (obj, opts) => {
      const written = await original(obj, opts);
      // The first state write that suspends lands, then the connection drops before the answer.
      if (
        obj.kind === 'ConfigMap' &&
        (obj.data as { phase?: string }).phase === 'suspended' &&
        dropped++ === 0
      ) {
        throw new ClusterError('connection reset', 409, 'Conflict');
      }
      return written;
    };
    const res = await up(
      ctx,
      bookinfo({ reviewsImage: V3, batches: [1, 1], workflow: seedWorkflow }),
      'default',
    );
    expect(dropped).toBe(1);
    expect(res.kind).toBe('suspended');
  });

  it('GIVEN a run killed during the settle pause WHEN continued THEN it waits out only the remainder', async () => {
    const cluster = new MemoryCluster();
    const sleeps: number[] = [];
    let time = Date.parse('2026-01-01T00:00:00Z');
    const clock = {
      ...noTimers,
      now: () => time,
      sleep: (ms: number) => {
        sleeps.push(ms);
        time += ms;
        return Promise.resolve();
      },
    };
    const ctx = { ...context(cluster), trafficSettleMs: 5000, clock };
    await up(ctx, bookinfo(), 'default');
    // The 90/10 route was written at `time`; the process died 2 s into the pause that follows.
    const { loadState, saveState } = await import('../../src/engine/store.js');
    await up(
      { ...ctx, trafficSettleMs: 0 },
      bookinfo({ reviewsImage: V3, batches: [1, 1], workflow: seedWorkflow }),
      'default',
    );
    const stored = (await loadState(cluster, 'default', 'book-info'))!;
    const running = {
      ...stored.state,
      trafficChangedAt: new Date(time - 2000).toISOString(),
      workflow: { ...stored.state.workflow, phase: 'running' as const },
    };
    await saveState(cluster, running, stored);
    sleeps.length = 0;
    await up(ctx, bookinfo({ reviewsImage: V3, batches: [1, 1], workflow: seedWorkflow }), 'default');
    expect(sleeps).toEqual([3000]);
  });
});

describe('second review fixes', () => {
  const rollout = () => bookinfo({ reviewsImage: V3, batches: [1, 1], workflow: seedWorkflow });

  it('GIVEN a spec that is refused (exit 2) THEN not one write reaches the cluster, not even the lease', async () => {
    const cluster = new MemoryCluster();
    await up(context(cluster), bookinfo(), 'default');
    const bad = rollout();
    const t = bad.components[0]!.traits[1]!;
    if (t.type === 'rollout') t.properties.targetRevision = 'reviews-v7';
    const mark = cluster.calls.length;
    await expect(up(context(cluster), bad, 'default')).rejects.toThrow('targetRevision reviews-v7');
    expect(cluster.calls.slice(mark).filter((c) => !['get', 'list'].includes(c.verb))).toEqual([]);
  });

  it('GIVEN a Deployment the rollout will create already belongs to someone else THEN up refuses before writing anything', async () => {
    const cluster = new MemoryCluster();
    await up(context(cluster), bookinfo(), 'default');
    cluster.put({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'reviews-v2', namespace: 'default' },
      spec: {},
    });
    const mark = cluster.calls.length;
    await expect(up(context(cluster), rollout(), 'default')).rejects.toThrow(
      'Deployment default/reviews-v2 already exists and is not managed by vela-ts',
    );
    expect(cluster.calls.slice(mark).filter((c) => !['get', 'list'].includes(c.verb))).toEqual([]);
  });

  it('GIVEN a person suspends the workflow while a driver is mid-step THEN the driver stops at its next record and leaves the suspend in place', async () => {
    const cluster = new MemoryCluster();
    const ctx = context(cluster);
    await up(ctx, bookinfo(), 'default');
    const { edit } = await import('../../src/engine/index.js');
    const original = cluster.apply.bind(cluster);
    let suspended = false;
    cluster.apply = async (obj, opts) => {
      // While the driver applies the first batch, someone runs `workflow suspend` elsewhere.
      if (!suspended && obj.metadata.name === 'reviews-v2') {
        suspended = true;
        await edit(ctx, 'default', 'book-info', 'suspend');
      }
      return original(obj, opts);
    };
    const res = await up(ctx, rollout(), 'default');
    expect(res.kind).toBe('stopped');
    const { loadState } = await import('../../src/engine/store.js');
    const state = (await loadState(cluster, 'default', 'book-info'))!.state;
    expect(state.workflow.phase).toBe('suspended');
    // Stopped mid-batch: the canary has its pod, but the old revision still has all the traffic.
    expect(state.placement.reviews?.replicas).toEqual({ 'reviews-v1': 2, 'reviews-v2': 1 });
    expect(state.placement.reviews?.traffic).toEqual([{ revision: 'reviews-v1', weight: 100 }]);
  });
});

describe('status', () => {
  const rollout = () => bookinfo({ reviewsImage: V3, batches: [1, 1], workflow: seedWorkflow });

  /** An app at its gate, then put back mid-move (`running`) with a live driver holding the lock. */
  async function midMove() {
    const { loadState, saveState } = await import('../../src/engine/store.js');
    const cluster = new MemoryCluster();
    const driver = context(cluster, { pid: 1 });
    await up(driver, bookinfo(), 'default');
    await up(driver, rollout(), 'default');
    const suspended = (await loadState(cluster, 'default', 'book-info'))!;
    const running = await saveState(
      cluster,
      { ...suspended.state, workflow: { ...suspended.state.workflow, phase: 'running' } },
      suspended,
    );
    const lock = await acquireLock(driver, 'default', 'book-info');
    return { cluster, suspended, running, lock, saveState };
  }

  it('GIVEN the driver records its last move and lets go between our two reads THEN it reports where the driver stopped, not an interrupted run', async () => {
    const { observe } = await import('../../src/engine/index.js');
    const { cluster, suspended, running, lock, saveState } = await midMove();
    const original = cluster.get.bind(cluster);
    let finished = false;
    cluster.get = async (ref) => {
      // status has read `running`; now, before it looks at the lease, the driver finishes its step.
      if (ref.kind === 'Lease' && !finished) {
        finished = true;
        await saveState(cluster, suspended.state, running);
        await lock.release();
      }
      return original(ref);
    };
    const { report } = await observe(context(cluster, { pid: 2 }), 'default', 'book-info');
    expect(finished).toBe(true);
    expect(report.workflow.phase).toBe('suspended');
    expect(report.driver).toBeUndefined();
  });

  it('GIVEN a running workflow whose driver died THEN it reports nobody drives it', async () => {
    const { observe } = await import('../../src/engine/index.js');
    const { cluster } = await midMove();
    const watcher = context(cluster, { pid: 2, alive: (p) => p !== 1 });
    const { report } = await observe(watcher, 'default', 'book-info');
    expect(report.workflow.phase).toBe('running');
    expect(report.driver).toBeNull();
  });

  it('GIVEN a move recorded but not yet made (the driver was killed) THEN the weights shown are the cluster’s', async () => {
    const { observe } = await import('../../src/engine/index.js');
    const { cluster, running, saveState } = await midMove();
    const reviews = running.state.placement.reviews!;
    await saveState(
      cluster,
      {
        ...running.state,
        placement: {
          ...running.state.placement,
          reviews: { ...reviews, traffic: [{ revision: 'reviews-v2', weight: 100 }] },
        },
      },
      running,
    );
    const { report } = await observe(
      context(cluster, { pid: 2, alive: () => false }),
      'default',
      'book-info',
    );
    const shown = report.components.find((c) => c.name === 'reviews')!;
    expect(shown.traffic).toEqual([
      { revision: 'reviews-v1', weight: 90 },
      { revision: 'reviews-v2', weight: 10 },
    ]);
    expect(shown.subsets).toEqual(['reviews-v1', 'reviews-v2']);
  });

  it('GIVEN a running workflow whose driver lives THEN it names the driver', async () => {
    const { observe } = await import('../../src/engine/index.js');
    const { cluster } = await midMove();
    const { report } = await observe(context(cluster, { pid: 2 }), 'default', 'book-info');
    expect(report.driver).toBe('dev@laptop/1');
  });
});

describe('two runs of the same spec', () => {
  it('GIVEN another run applies the same spec between our first look and our lock THEN ours finds it unchanged and moves nothing', async () => {
    const cluster = new MemoryCluster();
    const original = cluster.get.bind(cluster);
    let otherRan = false;
    let mark = 0;
    cluster.get = async (ref) => {
      if (ref.kind === 'Lease' && !otherRan) {
        otherRan = true;
        // The other run gets the lock first and deploys the whole spec.
        const theirs = await up(context(cluster, { pid: 2 }), bookinfo(), 'default');
        expect(theirs.kind).toBe('succeeded');
        mark = cluster.calls.length;
      }
      return original(ref);
    };
    const ours = await up(context(cluster, { pid: 1 }), bookinfo(), 'default');
    expect(otherRan).toBe(true);
    expect(ours.kind).toBe('unchanged');
    const writes = cluster.calls
      .slice(mark)
      .filter(
        (c) => ['apply', 'create', 'replace', 'delete'].includes(c.verb) && !c.key.startsWith('Lease/'),
      );
    expect(writes).toEqual([]);
  });
});

describe('a new spec over an unfinished workflow', () => {
  it('GIVEN a workflow waiting at its gate WHEN a changed spec is applied THEN the old one is recorded as terminated before the new one starts', async () => {
    const cluster = new MemoryCluster();
    const ctx = context(cluster);
    await up(ctx, bookinfo(), 'default');
    const rollout = bookinfo({ reviewsImage: V3, batches: [1, 1], workflow: seedWorkflow });
    expect((await up(ctx, rollout, 'default')).kind).toBe('suspended');
    const phases: string[] = [];
    const original = cluster.replace.bind(cluster);
    cluster.replace = (obj, opts) => {
      if (obj.kind === 'ConfigMap') {
        const state = JSON.parse((obj.data as Record<string, string>)['state.json']!) as {
          specHash: string;
          workflow: { phase: string; message?: string };
        };
        phases.push(`${state.specHash.slice(0, 6)} ${state.workflow.phase} ${state.workflow.message ?? ''}`);
      }
      return original(obj, opts);
    };
    const { loadState } = await import('../../src/engine/store.js');
    const oldHash = (await loadState(cluster, 'default', 'book-info'))!.state.specHash.slice(0, 6);
    const newer = bookinfo({ reviewsImage: 'reviews:4', batches: [1, 1] });
    expect((await up(ctx, newer, 'default')).kind).toBe('succeeded');
    expect(phases[0]).toBe(`${oldHash} terminated terminated: a new spec was applied`);
    expect(phases[1]).not.toContain(oldHash);
  });
});

describe('--create-namespace', () => {
  it('GIVEN the namespace create answered 409 Conflict once THEN it re-reads, tries again and deploys', async () => {
    const cluster = new MemoryCluster();
    const original = cluster.create.bind(cluster);
    let refused = false;
    cluster.create = (obj, opts) => {
      if (obj.kind === 'Namespace' && !refused) {
        refused = true;
        return Promise.reject(
          new ClusterError('Namespace "shop" was changed by someone else', 409, 'Conflict'),
        );
      }
      return original(obj, opts);
    };
    const res = await up(
      { ...context(cluster), createNamespace: true },
      { ...bookinfo(), namespace: 'shop' },
      'shop',
    );
    expect(refused).toBe(true);
    expect(res.kind).toBe('succeeded');
    expect(cluster.objects.has('Namespace//shop')).toBe(true);
  });
});

describe('inputs too large for the cluster', () => {
  it('GIVEN a pod annotation of 300 KiB WHEN up THEN it is refused before the first write, naming the object and the limit', async () => {
    const cluster = new MemoryCluster();
    const app = bookinfo();
    const reviews = app.components.find((c) => c.name === 'reviews')!;
    (reviews.properties as { annotations?: Record<string, string> }).annotations = {
      note: 'x'.repeat(300 * 1024),
    };
    const refused = up(context(cluster), app, 'default');
    await expect(refused).rejects.toBeInstanceOf(UsageError);
    await expect(refused).rejects.toThrow(
      /too large for the cluster, nothing was sent:\n {2}Deployment\/reviews-v1: annotations take 301 KiB; Kubernetes allows 256 KiB in all/,
    );
    expect(cluster.writes()).toEqual([]);
  });

  it('GIVEN app annotations that overflow the 1 MiB state ConfigMap THEN refused, nothing written', async () => {
    const cluster = new MemoryCluster();
    // Each stays below the annotation limit; the recorded state holds the spec twice (yaml and json).
    const annotations = Object.fromEntries(
      Array.from({ length: 4 }, (_, i) => [`k${i}`, 'z'.repeat(150 * 1024)]),
    );
    const app = { ...bookinfo(), annotations };
    await expect(up(context(cluster), app, 'default')).rejects.toThrow(
      /ConfigMap\/vela-ts-book-info \(the app's recorded state\) would hold \d+ KiB; a ConfigMap holds at most 1 MiB/,
    );
    expect(cluster.writes()).toEqual([]);
  });
});

describe('a ConfigMap with the state name that is not ours', () => {
  it("GIVEN someone else's ConfigMap vela-ts-book-info WHEN up THEN refused, saying it is not ours, and it is left untouched", async () => {
    const cluster = new MemoryCluster();
    const theirs = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'vela-ts-book-info', namespace: 'default' },
      data: { 'state.json': 'their notes' },
    };
    await cluster.create(theirs);
    const before = cluster.writes().length;
    await expect(up(context(cluster), bookinfo(), 'default')).rejects.toThrow(
      /ConfigMap default\/vela-ts-book-info exists but is not vela-ts's .* so it will not touch it/,
    );
    expect(cluster.writes().length).toBe(before);
    expect(cluster.objects.get('ConfigMap/default/vela-ts-book-info')).toMatchObject({ data: theirs.data });
  });
});

describe('--force that cannot finish does not start', () => {
  it('GIVEN a foreign Deployment whose selector differs WHEN up --force THEN refused before any write (no lease either), and --force is not advised', async () => {
    const cluster = new MemoryCluster();
    cluster.put({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'details', namespace: 'default' },
      spec: { selector: { matchLabels: { app: 'details' } } },
    });
    const refused = up({ ...context(cluster), force: true }, bookinfo(), 'default');
    await expect(refused).rejects.toThrow(
      "Deployment default/details already exists and is not managed by vela-ts, and its spec.selector differs from this app's, which Kubernetes does not let anyone change (not even with --force): rename the component, or remove the object",
    );
    expect(cluster.writes()).toEqual([]);
  });

  it("GIVEN another app's revision record of the same name WHEN up --force THEN refused before any write, naming it", async () => {
    const cluster = new MemoryCluster();
    await up(context(cluster), { ...bookinfo(), name: 'other-app' }, 'default');
    // Only its records are left: the objects were removed by hand.
    for (const key of [...cluster.objects.keys()])
      if (!key.startsWith('ControllerRevision/')) cluster.objects.delete(key);
    const mark = cluster.writes().length;
    await expect(up({ ...context(cluster), force: true }, bookinfo(), 'default')).rejects.toThrow(
      'ControllerRevision default/reviews-v1 belongs to vela-ts app "other-app"; two apps in one namespace cannot share a component name: rename the component',
    );
    expect(cluster.writes().slice(mark)).toEqual([]);
  });

  it("GIVEN another app's objects WHEN up without --force THEN every conflict is named at once and none suggests --force", async () => {
    const cluster = new MemoryCluster();
    await up(context(cluster), bookinfo(), 'default');
    const err = await up(context(cluster), { ...bookinfo(), name: 'other-app' }, 'default').catch(
      (e: unknown) => e,
    );
    const lines = (err as Error).message.split('\n');
    expect(lines.length).toBeGreaterThan(4);
    expect(lines.filter((l) => l.includes('--force'))).toEqual([]);
  });
});
