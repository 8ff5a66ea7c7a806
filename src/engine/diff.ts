import type { Application } from '../appfile/types.js';
import { settled, specHash } from '../workflow/index.js';
import { applyObjects, prune, type Change } from './apply.js';
import { nowIso, type EngineContext } from './context.js';
import { objectsOf } from './drive.js';
import { loadState } from './store.js';

export interface DiffReport {
  /** True when the file differs from the spec last applied: `up` would run its workflow. */
  specChanged: boolean;
  /** The steps `up` would run (empty when the spec is unchanged). */
  steps: string[];
  changes: Change[];
  deleted: string[];
}

/**
 * `diff`: how the cluster would differ once `up` FILE has run its whole workflow (every approval
 * given), or, for an unchanged spec, where the cluster has drifted from it. Every write is checked
 * by the server with dryRun=All; nothing is stored.
 */
export async function diff(ctx: EngineContext, app: Application, namespace: string): Promise<DiffReport> {
  const stored = await loadState(ctx.cluster, namespace, app.name);
  const specChanged = !stored || stored.state.specHash !== specHash(app);
  const now = nowIso(ctx);
  const target = specChanged ? settled(app, namespace, stored?.state, now) : stored.state;
  const { changes, stale } = await applyObjects(ctx.cluster, namespace, app.name, objectsOf(target), {
    force: ctx.force,
    dryRun: true,
  });
  const deleted = await prune(ctx.cluster, namespace, stale, { dryRun: true });
  const steps = specChanged ? target.workflow.steps.map((st) => `${st.name} (${st.type})`) : [];
  return { specChanged, steps, changes, deleted };
}
