/**
 * `status`: observing an app (its recorded state, who drives it, its Deployments and routes as the
 * cluster has them, the mesh finding) into a report (report.ts), and waiting, by watching, for
 * anything that report shows to change.
 */
import { API, canaryRouting, LABEL_APP, trait, type CanaryRouting } from '../compile/index.js';
import type { KindRef, KubeObject } from '../cluster/types.js';
import { ClusterError } from '../errors.js';
import { gatePreview } from '../workflow/preview.js';
import { nowIso, type EngineContext } from './context.js';
import { currentDriver } from './holder.js';
import { meshFinding } from './mesh.js';
import { buildReport, type StatusReport } from './report.js';
import { stateName } from './store.js';
import { mustLoad } from './verbs.js';

/** Recorded state plus what the cluster says about replicas right now. */
export async function status(ctx: EngineContext, namespace: string, app: string): Promise<StatusReport> {
  return (await observe(ctx, namespace, app)).report;
}

/** What a report was read from: resource versions, so a watch can tell what changed since. */
export interface Observed {
  report: StatusReport;
  state: string;
  deployments: string;
  /** The app's VirtualServices, when the cluster serves them. */
  routes?: string;
}

const versions = (objs: Iterable<KubeObject>) =>
  [...objs]
    .map((o) => `${o.metadata.name}@${o.metadata.resourceVersion ?? ''}`)
    .sort()
    .join(',');

export async function observe(ctx: EngineContext, namespace: string, app: string): Promise<Observed> {
  let stored = await mustLoad(ctx, namespace, app);
  let driver: string | null | undefined;
  // A running workflow nobody drives was interrupted: say so, and how to go on. A driver records
  // its last move before it lets go of the lease, so an empty lease next to a `running` state may
  // only mean the state we read is already stale: read it again, and trust it once it holds still.
  while (stored.state.workflow.phase === 'running') {
    driver = (await currentDriver(ctx, namespace, app)) ?? null;
    if (driver !== null) break;
    const again = await mustLoad(ctx, namespace, app);
    if (again.resourceVersion === stored.resourceVersion) break;
    stored = again;
    driver = undefined;
  }
  const s = stored.state;
  // Read after the state, never with it: then the cluster shows at least every move the state
  // records. Read at once, the Deployments could come from before the state's last move (a report
  // that says "suspended at the gate" beside the batch that led there not yet made).
  const live = await ctx.cluster.list({ apiVersion: API.Deployment, kind: 'Deployment' }, namespace, {
    labelSelector: `${LABEL_APP}=${app}`,
  });
  const [routed, mesh] = await Promise.all([
    liveRouting(ctx, namespace, app),
    s.app.components.some((c) => trait(c, 'canary-traffic')) ? meshFinding(ctx, namespace, s.app) : undefined,
  ]);
  const report = buildReport(ctx, namespace, app, s, live.items, routed?.routing);
  if (mesh) report.mesh = mesh;
  const preview = gatePreview(s, nowIso(ctx));
  if (preview) report.preview = preview;
  if (driver !== undefined) report.driver = driver;
  return {
    report,
    state: `${stateName(app)}@${stored.resourceVersion}`,
    deployments: versions(live.items),
    ...(routed ? { routes: routed.routes } : {}),
  };
}

/**
 * What the mesh routes right now: status reports the cluster, not the move a driver recorded and
 * may not have made (a killed run). Undefined when the cluster has no Istio kinds to read.
 */
async function liveRouting(
  ctx: EngineContext,
  namespace: string,
  app: string,
): Promise<{ routing: CanaryRouting; routes: string } | undefined> {
  const selector = { labelSelector: `${LABEL_APP}=${app}` };
  try {
    const [vs, dr] = await Promise.all([
      ctx.cluster.list({ apiVersion: API.VirtualService, kind: 'VirtualService' }, namespace, selector),
      ctx.cluster.list({ apiVersion: API.DestinationRule, kind: 'DestinationRule' }, namespace, selector),
    ]);
    return { routing: canaryRouting([...vs.items, ...dr.items]), routes: versions(vs.items) };
  } catch (err) {
    if (err instanceof ClusterError && err.status === 404) return undefined;
    throw err;
  }
}

/**
 * Resolves when anything `status` shows has changed since `seen` was read: the recorded state
 * (every move writes it), one of the app's Deployments (readiness) or VirtualServices. Comparing with what was
 * read, not with the watch's first sight, means a change in between is never lost. Watches;
 * never polls.
 */
export async function nextChange(
  ctx: EngineContext,
  namespace: string,
  app: string,
  seen: Observed,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const stop = new AbortController();
  signal?.addEventListener('abort', () => stop.abort(), { once: true });
  const differs = (
    kind: KindRef,
    baseline: string,
    selector: { labelSelector?: string; fieldSelector?: string },
  ) =>
    ctx.cluster.waitFor(kind, namespace, (objs) => versions(objs.values()) !== baseline, {
      ...selector,
      timeoutMs,
      signal: stop.signal,
    });
  try {
    await Promise.race([
      differs({ apiVersion: API.ConfigMap, kind: 'ConfigMap' }, seen.state, {
        fieldSelector: `metadata.name=${stateName(app)}`,
      }),
      differs({ apiVersion: API.Deployment, kind: 'Deployment' }, seen.deployments, {
        labelSelector: `${LABEL_APP}=${app}`,
      }),
      // A route changed by hand (or by a driver whose state write is still to come) shows too.
      ...(seen.routes !== undefined
        ? [
            differs({ apiVersion: API.VirtualService, kind: 'VirtualService' }, seen.routes, {
              labelSelector: `${LABEL_APP}=${app}`,
            }),
          ]
        : []),
    ]);
  } catch (err) {
    if (!(err instanceof ClusterError && err.reason === 'Timeout')) throw err;
  } finally {
    stop.abort();
  }
}
