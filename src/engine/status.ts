import { API, canaryRouting, LABEL_APP, trait, type CanaryRouting } from '../compile/index.js';
import type { KindRef, KubeObject } from '../cluster/types.js';
import { ClusterError } from '../errors.js';
import { liveRevisions, type AppState } from '../workflow/index.js';
import type { MetricGate } from '../workflow/metrics.js';
import { gatePreview, type GatePreview } from '../workflow/preview.js';
import { nowIso, type EngineContext } from './context.js';
import { currentDriver } from './lock.js';
import { meshFinding, type MeshFinding } from './mesh.js';
import { stateName } from './store.js';
import { mustLoad } from './verbs.js';

export interface StatusReport {
  name: string;
  namespace: string;
  sandbox: boolean;
  /** At an approval gate: what continuing (`c`) and rolling back (`r`) would move. */
  preview?: GatePreview;
  /** For an app that splits traffic with weights: whether the namespace is in the Istio mesh. */
  mesh?: MeshFinding;
  /** While running: who drives it (`user@host/pid`), or null when nobody does (interrupted). */
  driver?: string | null;
  workflow: {
    phase: string;
    message?: string;
    resumeAt?: string;
    /** The step it stands at (1-based, of `count`), and since when (RFC 3339), while unfinished. */
    current?: { index: number; count: number; name: string; type: string; since?: string };
    steps: {
      name: string;
      type: string;
      phase: string;
      message?: string;
      startedAt?: string;
      finishedAt?: string;
      /** A check-metrics step: its query, condition, latest measurements and verdict. */
      metrics?: MetricGate;
    }[];
  };
  components: {
    name: string;
    revision: string;
    revisions: {
      name: string;
      /** `stable`: the revision a rollout moves from; `canary`: the one it moves to. */
      role?: 'stable' | 'canary';
      /** The image of its first container, from the revision's recorded pod template. */
      image?: string;
      replicas: number;
      readyReplicas: number;
    }[];
    traffic?: { revision: string; weight: number }[];
    subsets?: string[];
  }[];
}

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

/** The first container's image of a component's revision, as its pod template was recorded. */
function imageOf(s: AppState, component: string, revision: string): string | undefined {
  const record = (s.revisions[component] ?? []).find((r) => r.name === revision);
  const containers = (record?.template as { spec?: { containers?: { image?: string }[] } } | undefined)?.spec
    ?.containers;
  return containers?.[0]?.image;
}

/** Where an unfinished workflow stands: `step 2/3: manual-approval`, and since when. */
function currentStep(s: AppState): { current?: NonNullable<StatusReport['workflow']['current']> } {
  if (s.workflow.phase !== 'running' && s.workflow.phase !== 'suspended') return {};
  const steps = s.workflow.steps;
  const index = steps.findIndex((st) => st.phase === 'suspended' || st.phase === 'running');
  const at = steps[index];
  if (!at) return {};
  return {
    current: {
      index: index + 1,
      count: steps.length,
      name: at.name,
      type: at.type,
      ...(at.startedAt ? { since: at.startedAt } : {}),
    },
  };
}

function buildReport(
  ctx: EngineContext,
  namespace: string,
  app: string,
  s: AppState,
  deployments: KubeObject[],
  routing?: CanaryRouting,
): StatusReport {
  const byName = new Map(deployments.map((d) => [d.metadata.name, d]));
  const replicasOf = (name: string) => {
    const d = byName.get(name) as
      { spec?: { replicas?: number }; status?: { readyReplicas?: number } } | undefined;
    return { replicas: d?.spec?.replicas ?? 0, readyReplicas: d?.status?.readyReplicas ?? 0 };
  };
  return {
    name: s.app.name,
    namespace,
    sandbox: ctx.cluster.isSandbox,
    workflow: {
      phase: s.workflow.phase,
      ...(s.workflow.message ? { message: s.workflow.message } : {}),
      ...(s.workflow.resumeAt ? { resumeAt: s.workflow.resumeAt } : {}),
      ...currentStep(s),
      steps: s.workflow.steps.map((st) => ({
        name: st.name,
        type: st.type,
        phase: st.phase,
        ...(st.message ? { message: st.message } : {}),
        ...(st.startedAt ? { startedAt: st.startedAt } : {}),
        ...(st.finishedAt ? { finishedAt: st.finishedAt } : {}),
        ...(st.metrics ? { metrics: st.metrics } : {}),
      })),
    },
    components: s.app.components.map((c) => {
      const p = s.placement[c.name];
      // The cluster's routing where it has the component's objects; else what was recorded.
      const traffic = routing?.traffic.has(c.name) ? routing.traffic.get(c.name) : p?.traffic;
      const subsets = routing?.subsets.has(c.name) ? routing.subsets.get(c.name) : p?.subsets;
      // Roles while a rollout is under way (or its revisions still run side by side).
      const moving =
        s.workflow.phase === 'running' ||
        s.workflow.phase === 'suspended' ||
        (p ? liveRevisions(p).length > 1 : false);
      const pair = moving ? s.rollouts[c.name] : undefined;
      const described = (r: string) => {
        const role: 'stable' | 'canary' | undefined =
          pair && pair.source !== pair.target
            ? r === pair.target
              ? 'canary'
              : r === pair.source
                ? 'stable'
                : undefined
            : undefined;
        const image = imageOf(s, c.name, r);
        return { name: r, ...(role ? { role } : {}), ...(image ? { image } : {}) };
      };
      const revisions =
        trait(c, 'rollout') && p
          ? liveRevisions(p).map((r) => ({ ...described(r), ...replicasOf(r) }))
          : [{ ...described(p?.revision ?? c.name), ...replicasOf(c.name) }];
      return {
        name: c.name,
        revision: s.current[c.name] ?? '',
        revisions,
        ...(traffic ? { traffic } : {}),
        ...(subsets ? { subsets } : {}),
      };
    }),
  };
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
