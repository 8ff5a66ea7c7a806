/**
 * Who holds an app's Lease, as a reader can tell without waiting: the Lease's fields and duration,
 * what a holder records that `user@host/pid` cannot say (its machine, its start time), whether a
 * holder on this machine still runs, and who drives the app now (`currentDriver`).
 */
import { API } from '../compile/index.js';
import type { KubeObject } from '../cluster/types.js';
import type { EngineContext } from './context.js';

export const LEASE_SECONDS = 15;

/** Where a holder records what `user@host/pid` cannot say: its machine and its start time. */
export const ANNOTATION_MACHINE = 'vela-ts.dev/holder-machine';
export const ANNOTATION_STARTED = 'vela-ts.dev/holder-started';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
}

/** `user@host/pid` -> the pid. */
function holderPid(holder: string): number | undefined {
  const m = /\/(\d+)$/.exec(holder);
  return m ? Number(m[1]) : undefined;
}

/**
 * What this process can know of a lease's holder without waiting: on its own machine (same boot
 * and PID namespace, not merely the same hostname), whether that process still runs. Anywhere
 * else, nothing: only watching the lease go unrenewed tells.
 */
export function localHolder(ctx: EngineContext, live: KubeObject): 'alive' | 'dead' | 'elsewhere' {
  const machine = live.metadata.annotations?.[ANNOTATION_MACHINE] ?? '';
  const pid = holderPid(((live.spec ?? {}) as LeaseSpec).holderIdentity ?? '');
  if (!machine || machine !== ctx.machine || pid === undefined) return 'elsewhere';
  return ctx.isAlive(pid, live.metadata.annotations?.[ANNOTATION_STARTED]) ? 'alive' : 'dead';
}

/**
 * Who drives the app right now, for `status`: the lease's holder, unless it is known dead on this
 * machine, or (a display hint only, never a reason to take the lease) its last renewal is older
 * than its duration by our clock.
 */
/** The Lease of an app's driver (store.ts's state ConfigMap has the same name). */
export function leaseRef(namespace: string, app: string) {
  return { apiVersion: API.Lease, kind: 'Lease', namespace, name: `vela-ts-${app}` };
}

export async function currentDriver(
  ctx: EngineContext,
  namespace: string,
  app: string,
): Promise<string | undefined> {
  const lease = await ctx.cluster.get(leaseRef(namespace, app));
  const spec = (lease?.spec ?? {}) as LeaseSpec;
  if (!lease || !spec.holderIdentity || localHolder(ctx, lease) === 'dead') return undefined;
  const renewed = Date.parse(spec.renewTime ?? spec.acquireTime ?? '');
  if (Number.isNaN(renewed)) return undefined;
  if (renewed + (spec.leaseDurationSeconds ?? LEASE_SECONDS) * 1000 < ctx.clock.now()) return undefined;
  return spec.holderIdentity;
}
