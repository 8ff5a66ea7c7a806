/**
 * The lease protocol that lets one driver at a time drive an app: taking the app's Lease, renewing
 * it while driving (and stopping once it cannot be renewed), and letting it go. Whether a holder
 * is still there is judged in holder.ts.
 */
import { API, LABEL_APP, LABEL_MANAGED_BY, MANAGED_BY } from '../compile/index.js';
import type { KubeObject } from '../cluster/types.js';
import { ClusterError, LockedError } from '../errors.js';
import { retryOnConflict } from './conflicts.js';
import type { EngineContext } from './context.js';
import {
  ANNOTATION_MACHINE,
  ANNOTATION_STARTED,
  LEASE_SECONDS,
  leaseRef,
  localHolder,
  type LeaseSpec,
} from './holder.js';

const RENEW_MS = 5_000;
/** As client-go's renewDeadline: a driver that could not renew for this long stops, before anyone may take its lease. */
const RENEW_DEADLINE_MS = 10_000;

export interface Lock {
  /** Why the lock was lost while held (taken over after renewals failed), if it was. */
  readonly lost: string | undefined;
  /**
   * True when the lease was free when the caller looked (`seen`) and nobody wrote it until we
   * took it: no driver held it in between, so nothing a driver writes changed meanwhile.
   */
  readonly untouchedSinceSeen: boolean;
  release(): Promise<void>;
}

/** What the lease of an app is now (undefined when it has none), for `acquireLock`'s `seen`. */
export async function peekLease(
  ctx: EngineContext,
  namespace: string,
  app: string,
): Promise<{ lease: KubeObject | undefined }> {
  return {
    lease: await ctx.cluster.get(leaseRef(namespace, app)),
  };
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * One driver per app: a coordination.k8s.io Lease, renewed every 5 s while we drive. A lease left
 * by a process that died on this machine is taken over at once. One held from anywhere else is
 * judged as client-go's leader election judges it, by the reader's own clock and never by the
 * holder's timestamps: we watch it, and take it over only when it has gone unrenewed for its whole
 * duration (15 s) as we measured it; renewed meanwhile, its holder is alive and we are refused.
 */
export async function acquireLock(
  ctx: EngineContext,
  namespace: string,
  app: string,
  seen?: { lease: KubeObject | undefined },
): Promise<Lock> {
  const ref = leaseRef(namespace, app);
  const body = (resourceVersion?: string): KubeObject => {
    const now = microTime(ctx.clock.now());
    return {
      apiVersion: API.Lease,
      kind: 'Lease',
      metadata: {
        name: ref.name,
        namespace: ref.namespace,
        labels: { [LABEL_APP]: app, [LABEL_MANAGED_BY]: MANAGED_BY },
        annotations: { [ANNOTATION_MACHINE]: ctx.machine, [ANNOTATION_STARTED]: ctx.started },
        ...(resourceVersion ? { resourceVersion } : {}),
      },
      spec: {
        holderIdentity: ctx.identity,
        leaseDurationSeconds: LEASE_SECONDS,
        acquireTime: now,
        renewTime: now,
      },
    };
  };

  const refused = (live: KubeObject, why: string) => {
    const spec = (live.spec ?? {}) as LeaseSpec;
    const since = spec.acquireTime ? ` since ${spec.acquireTime.replace(/\.\d+Z$/, 'Z')}` : '';
    return new LockedError(
      `${app} is being driven by ${spec.holderIdentity}${since} (${why}); only one vela-ts may drive an app at a time. Wait for it to finish, or stop it (its lease is taken over once it has gone ${LEASE_SECONDS}s without renewal)`,
    );
  };
  // Someone else created, renewed or took it in between: look again.
  let untouchedSinceSeen = false;
  const current = await retryOnConflict(
    6,
    async (n) => {
      // The first look may be one the caller took earlier: a write on it fails (409) if anyone
      // wrote the lease since, and we look again.
      const live = n === 0 && seen ? seen.lease : await ctx.cluster.get(ref);
      const free = n === 0 && seen !== undefined && !((live?.spec ?? {}) as LeaseSpec).holderIdentity;
      if (!live) {
        const created = await ctx.cluster.create(body());
        untouchedSinceSeen = free;
        return created;
      }
      const spec = (live.spec ?? {}) as LeaseSpec;
      const holder = spec.holderIdentity ?? '';
      if (holder && holder !== ctx.identity) {
        const local = localHolder(ctx, live);
        if (local === 'alive') throw refused(live, 'it runs on this machine');
        if (local === 'elsewhere') {
          const seen = live.metadata.resourceVersion;
          const duration = (spec.leaseDurationSeconds ?? LEASE_SECONDS) * 1000;
          ctx.report.waiting(`${app} is held by ${holder}: checking that it still renews its lease`);
          const renewed = await leaseChanged(ctx, ref.namespace, ref.name, seen, duration);
          if (renewed) {
            const now = renewed.get(ref.name);
            const stillHeld = ((now?.spec ?? {}) as LeaseSpec).holderIdentity;
            if (now && stillHeld && stillHeld !== ctx.identity)
              throw refused(now, 'it renewed its lease just now');
            // Released, or deleted, while we watched: take it as anyone would.
            return now ? ctx.cluster.replace(body(now.metadata.resourceVersion)) : ctx.cluster.create(body());
          }
        }
        // Dead on this machine, or unrenewed for its whole duration as we watched: ours now. The
        // write carries the version we judged, so a renewal in between refuses it (409) and we look again.
      }
      const taken = await ctx.cluster.replace(body(live.metadata.resourceVersion));
      untouchedSinceSeen = free;
      return taken;
    },
    {
      exhausted: () =>
        new LockedError(`could not take the lock of ${app}: another vela-ts keeps changing it`),
    },
  );

  let held = current;
  let renewedAt = ctx.clock.now();
  let lost: string | undefined;
  let renewing: Promise<void> | undefined;
  const renew = async () => {
    try {
      const spec = { ...((held.spec ?? {}) as LeaseSpec), renewTime: microTime(ctx.clock.now()) };
      held = await ctx.cluster.replace({ ...held, spec });
      renewedAt = ctx.clock.now();
    } catch (err) {
      if (err instanceof ClusterError && err.status === 409) {
        // Either our last renewal landed with its answer lost (the lease is still ours, at a newer
        // version), or someone took the lease over: look.
        const live = await ctx.cluster.get(ref).catch(() => undefined);
        const holder = (live?.spec as LeaseSpec | undefined)?.holderIdentity;
        if (live && holder === ctx.identity) held = live;
        else lost = holder ? `now held by ${holder}` : 'it was released or deleted';
      }
      // Anything else is retried on the next tick, until the renewal deadline: past it, another
      // driver may already have watched the lease go unrenewed, so we must not act any more.
      else if (ctx.clock.now() - renewedAt >= RENEW_DEADLINE_MS)
        lost = `could not renew it for ${RENEW_DEADLINE_MS / 1000}s`;
    }
  };
  // Renewed every RENEW_MS on the engine's clock (a test moves it by hand), one at a time.
  let timer: unknown;
  let released = false;
  const tick = () => {
    if (released || lost) return;
    renewing = renew().finally(() => {
      renewing = undefined;
      if (!released && !lost) timer = ctx.clock.setTimeout(tick, RENEW_MS);
    });
  };
  timer = ctx.clock.setTimeout(tick, RENEW_MS);
  return {
    get lost() {
      return lost;
    },
    untouchedSinceSeen,
    async release() {
      released = true;
      ctx.clock.clearTimeout(timer);
      await renewing;
      if (lost) return;
      // Clear the holder rather than delete: the write carries our resourceVersion, so it can
      // never remove a lease someone else has taken in the meantime. Should it fail for good, the
      // lease expires by itself.
      await retryOnConflict(3, async (n) => {
        if (n > 0) {
          const live = await ctx.cluster.get(ref);
          if (!live || (live.spec as LeaseSpec | undefined)?.holderIdentity !== ctx.identity) return;
          held = live;
        }
        const spec = {
          ...((held.spec ?? {}) as LeaseSpec),
          holderIdentity: '',
          renewTime: microTime(ctx.clock.now()),
        };
        await ctx.cluster.replace({ ...held, spec });
      }).catch(() => undefined);
    },
  };
}

/**
 * Watches the lease for `ms` (measured here, as the watch's own deadline): the objects once its
 * resourceVersion moves on (renewed, taken, released), or undefined when it stayed as it was.
 */
async function leaseChanged(
  ctx: EngineContext,
  namespace: string,
  name: string,
  resourceVersion: string | undefined,
  ms: number,
): Promise<ReadonlyMap<string, KubeObject> | undefined> {
  try {
    return await ctx.cluster.waitFor(
      { apiVersion: API.Lease, kind: 'Lease' },
      namespace,
      (objs) => objs.get(name)?.metadata.resourceVersion !== resourceVersion,
      { fieldSelector: `metadata.name=${name}`, timeoutMs: ms },
    );
  } catch (err) {
    if (err instanceof ClusterError && err.reason === 'Timeout') return undefined;
    throw err;
  }
}
