import type { KubeObject } from '../cluster/types.js';
import { API } from '../compile/index.js';
import type { AppState } from '../workflow/index.js';
import type { EngineContext } from './context.js';
import { LABEL_STATE_SELECTOR } from './store.js';

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
