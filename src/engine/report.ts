/**
 * What `status` shows, and building it: the recorded state of an app (its workflow, where it stands,
 * each component's revisions with their roles and images) beside the replicas and routing the
 * cluster reports. Pure but for whether the cluster is the sandbox.
 */
import { trait, type CanaryRouting } from '../compile/index.js';
import type { KubeObject } from '../cluster/types.js';
import { liveRevisions, type AppState } from '../workflow/index.js';
import type { MetricGate } from '../workflow/metrics.js';
import type { GatePreview } from '../workflow/preview.js';
import type { EngineContext } from './context.js';
import type { MeshFinding } from './mesh.js';

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

export function buildReport(
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
