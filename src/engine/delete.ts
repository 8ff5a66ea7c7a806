import { API, LABEL_APP } from '../compile/index.js';
import { LockedError } from '../errors.js';
import { prune } from './apply.js';
import { readLive } from './live.js';
import { ownedBy } from './ownership.js';
import type { EngineContext } from './context.js';
import { currentDriver, leaseRef } from './holder.js';
import { stateName } from './store.js';
import { withLock } from './timers.js';
import { mustLoad } from './verbs.js';

/**
 * `vela-ts delete`: everything vela-ts made for the app, and nothing else (only objects with its
 * labels): routes first (VirtualServices, then DestinationRules, Gateways, Services, Deployments,
 * as `prune` orders them), then the revision records, the state last, so an interrupted delete is
 * finished by running it again. Refused while a driver holds the app's lease, unless `force`.
 */
export async function deleteApp(
  ctx: EngineContext,
  namespace: string,
  app: string,
  force: boolean,
): Promise<string[]> {
  await mustLoad(ctx, namespace, app);
  const driver = await currentDriver(ctx, namespace, app);
  if (driver && !force) {
    throw new LockedError(
      `${app} is being driven by ${driver}; wait for it to finish (or stop it), or pass --force to delete it anyway`,
    );
  }
  const remove = async (): Promise<string[]> => {
    const live = await readLive(ctx.cluster, namespace, app);
    const deleted = await prune(
      ctx.cluster,
      namespace,
      [...live.byKey.values()].filter((o) => ownedBy(o, app)),
    );
    const records = await ctx.cluster.list(
      { apiVersion: API.ControllerRevision, kind: 'ControllerRevision' },
      namespace,
      {
        labelSelector: `${LABEL_APP}=${app}`,
      },
    );
    deleted.push(
      ...(await prune(
        ctx.cluster,
        namespace,
        records.items.filter((o) => ownedBy(o, app)),
      )),
    );
    const state = { apiVersion: API.ConfigMap, kind: 'ConfigMap', namespace, name: stateName(app) };
    if (await ctx.cluster.delete(state)) deleted.push(`ConfigMap/${stateName(app)}`);
    return deleted;
  };
  // Held while deleting, so no `up` starts on the app halfway; the lease itself goes last.
  const deleted = force ? await remove() : await withLock(ctx, namespace, app, remove);
  const lease = leaseRef(namespace, app);
  if (await ctx.cluster.delete(lease)) deleted.push(`Lease/${lease.name}`);
  return deleted;
}
