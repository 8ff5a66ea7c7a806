import type { KubeObject } from '../cluster/types.js';
import { API, LABEL_APP } from '../compile/index.js';
import type { AppState } from '../workflow/index.js';
import type { EngineContext } from './context.js';
import { LABEL_STATE_SELECTOR } from './store.js';
import { mustLoad } from './verbs.js';

/** One line of `vela-ts ls`: an app as its recorded state describes it. */
export interface AppSummary {
  name: string;
  namespace: string;
  phase: string;
  /** `2/3 manual-approval` while unfinished. */
  step?: string;
  /** Per rolling component, its recorded weights (`reviews: reviews-v1 90%, reviews-v2 10%`), else its revision. */
  components: { name: string; revision: string; traffic?: { revision: string; weight: number }[] }[];
  /** When its current workflow started (RFC 3339). */
  startedAt: string;
}

function summary(cm: KubeObject): AppSummary | undefined {
  let s: AppState;
  try {
    s = JSON.parse((cm.data as Record<string, string> | undefined)?.['state.json'] ?? '') as AppState;
  } catch {
    return undefined;
  }
  const steps = s.workflow.steps;
  const at = steps.findIndex((st) => st.phase === 'running' || st.phase === 'suspended');
  return {
    name: s.app.name,
    namespace: cm.metadata.namespace ?? s.namespace,
    phase: s.workflow.phase,
    ...(at >= 0 ? { step: `${at + 1}/${steps.length} ${steps[at]?.name}` } : {}),
    components: s.app.components.map((c) => {
      const p = s.placement[c.name];
      return {
        name: c.name,
        revision: s.current[c.name] ?? p?.revision ?? c.name,
        ...(p?.traffic ? { traffic: p.traffic } : {}),
      };
    }),
    startedAt: s.workflow.startedAt,
  };
}

/**
 * The vela-ts apps of a namespace, or of every namespace the identity may list (`''`), from their
 * recorded states: one list request, however many apps. Sorted by namespace, then name.
 */
export async function listAppSummaries(ctx: EngineContext, namespace: string): Promise<AppSummary[]> {
  const list = await ctx.cluster.list({ apiVersion: API.ConfigMap, kind: 'ConfigMap' }, namespace, {
    labelSelector: LABEL_STATE_SELECTOR,
  });
  return list.items
    .map(summary)
    .filter((a): a is AppSummary => a !== undefined)
    .sort((a, b) =>
      a.namespace === b.namespace ? (a.name < b.name ? -1 : 1) : a.namespace < b.namespace ? -1 : 1,
    );
}

/** One revision of `vela-ts history`. */
export interface RevisionEntry {
  component: string;
  revision: string;
  image?: string;
  /** When vela-ts first recorded it (its ControllerRevision's creation), RFC 3339. */
  recorded?: string;
  /** Whether it runs now (as recorded), its replicas when a rollout sets them, its share of weighted traffic. */
  live: boolean;
  replicas?: number;
  weight?: number;
  /** The revision the applied spec wants, and the one that served before the current rollout. */
  current: boolean;
  stable: boolean;
}

/** Every revision of every component of an app, oldest first per component. */
export async function revisionHistory(
  ctx: EngineContext,
  namespace: string,
  app: string,
): Promise<RevisionEntry[]> {
  const { state } = await mustLoad(ctx, namespace, app);
  const records = await ctx.cluster.list(
    { apiVersion: API.ControllerRevision, kind: 'ControllerRevision' },
    namespace,
    {
      labelSelector: `${LABEL_APP}=${app}`,
    },
  );
  const created = new Map(records.items.map((r) => [r.metadata.name, r.metadata.creationTimestamp]));
  return Object.entries(state.revisions).flatMap(([component, list]) =>
    list.map((r) => {
      const p = state.placement[component];
      const image = (r.template as { spec?: { containers?: { image?: string }[] } }).spec?.containers?.[0]
        ?.image;
      const recorded = created.get(r.name);
      const weight = p?.traffic?.find((t) => t.revision === r.name)?.weight;
      return {
        component,
        revision: r.name,
        ...(image ? { image } : {}),
        ...(typeof recorded === 'string' ? { recorded } : {}),
        live: p?.replicas ? (p.replicas[r.name] ?? 0) > 0 : p?.revision === r.name,
        ...(p?.replicas ? { replicas: p.replicas[r.name] ?? 0 } : {}),
        ...(weight !== undefined ? { weight } : {}),
        current: state.current[component] === r.name,
        stable: state.stable[component] === r.name,
      };
    }),
  );
}
