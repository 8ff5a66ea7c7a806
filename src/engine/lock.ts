import { API, LABEL_APP, LABEL_MANAGED_BY, MANAGED_BY } from '../compile/index.js';
import type { KubeObject } from '../cluster/types.js';
import { ClusterError, LockedError } from '../errors.js';
import { retryOnConflict } from './conflicts.js';
import type { EngineContext } from './context.js';

const LEASE_SECONDS = 15;
const RENEW_MS = 5_000;

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
}

export interface Lock {
  /** Why the lock was lost while held (taken over after renewals failed), if it was. */
  readonly lost: string | undefined;
  release(): Promise<void>;
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** `user@host/pid` -> host and pid, to tell a dead local driver from a live remote one. */
function parseHolder(holder: string): { host: string; pid: number } | undefined {
  const m = /@([^/]+)\/(\d+)$/.exec(holder);
  return m ? { host: m[1] as string, pid: Number(m[2]) } : undefined;
}

/**
 * One driver per app: a coordination.k8s.io Lease, renewed while we drive. A lease left by a
 * process that died on this host is taken over at once; one from another host once it expires
 * (it is short and renewed, so a cancelled CI job frees the app within 15 seconds).
 */
export async function acquireLock(ctx: EngineContext, namespace: string, app: string): Promise<Lock> {
  const ref = { apiVersion: API.Lease, kind: 'Lease', namespace, name: `vela-ts-${app}` };
  const body = (resourceVersion?: string): KubeObject => {
    const now = microTime(ctx.clock.now());
    return {
      apiVersion: API.Lease,
      kind: 'Lease',
      metadata: {
        name: ref.name,
        namespace: ref.namespace,
        labels: { [LABEL_APP]: app, [LABEL_MANAGED_BY]: MANAGED_BY },
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

  // Someone else created or renewed it in between: look again.
  const current = await retryOnConflict(
    6,
    async () => {
      const live = await ctx.cluster.get(ref);
      if (!live) return ctx.cluster.create(body());
      const spec = (live.spec ?? {}) as LeaseSpec;
      const holder = spec.holderIdentity ?? '';
      if (holder && holder !== ctx.identity && !takeable(ctx, spec)) {
        const since = spec.acquireTime ? ` since ${spec.acquireTime.replace(/\.\d+Z$/, 'Z')}` : '';
        throw new LockedError(
          `${app} is being driven by ${holder}${since}; only one vela-ts may drive an app at a time. Wait for it to finish, or stop it (its lease expires ${LEASE_SECONDS}s after it stops renewing)`,
        );
      }
      return ctx.cluster.replace(body(live.metadata.resourceVersion));
    },
    {
      exhausted: () =>
        new LockedError(`could not take the lock of ${app}: another vela-ts keeps changing it`),
    },
  );

  let held = current;
  let lost: string | undefined;
  let renewing: Promise<void> | undefined;
  const renew = async () => {
    try {
      const spec = { ...((held.spec ?? {}) as LeaseSpec), renewTime: microTime(ctx.clock.now()) };
      held = await ctx.cluster.replace({ ...held, spec });
    } catch (err) {
      if (err instanceof ClusterError && err.status === 409) {
        // Either our last renewal landed with its answer lost (the lease is still ours, at a newer
        // version), or someone took the lease over: look.
        const live = await ctx.cluster.get(ref).catch(() => undefined);
        const holder = (live?.spec as LeaseSpec | undefined)?.holderIdentity;
        if (live && holder === ctx.identity) held = live;
        else lost = holder ? `now held by ${holder}` : 'it was released or deleted';
      }
      // Anything else is retried on the next tick: the lease lasts three of them.
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

/** Who drives the app right now: the holder of a live lease, or undefined when nobody does. */
export async function currentDriver(
  ctx: EngineContext,
  namespace: string,
  app: string,
): Promise<string | undefined> {
  const lease = await ctx.cluster.get({
    apiVersion: API.Lease,
    kind: 'Lease',
    namespace,
    name: `vela-ts-${app}`,
  });
  const spec = (lease?.spec ?? {}) as LeaseSpec;
  if (!spec.holderIdentity || takeable(ctx, spec)) return undefined;
  return spec.holderIdentity;
}

function takeable(ctx: EngineContext, spec: LeaseSpec): boolean {
  const holder = parseHolder(spec.holderIdentity ?? '');
  if (holder && holder.host === ctx.hostname && !ctx.isAlive(holder.pid)) return true;
  const renewed = Date.parse(spec.renewTime ?? spec.acquireTime ?? '');
  if (Number.isNaN(renewed)) return true;
  return renewed + (spec.leaseDurationSeconds ?? LEASE_SECONDS) * 1000 < ctx.clock.now();
}
