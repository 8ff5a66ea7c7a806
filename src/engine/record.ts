/**
 * Recording an app's state: the write that comes before every move (re-deciding on a conflict,
 * so someone else's suspend or terminate stands), and the watch that tells a waiting driver or
 * prompt that someone else wrote it.
 */
import { API } from '../compile/index.js';
import { stableStringify } from '../compile/stable.js';
import { WorkflowError } from '../errors.js';
import type { AppState } from '../workflow/index.js';
import { retryOnConflict } from './conflicts.js';
import type { EngineContext } from './context.js';
import { loadState, saveState, stateName, type Stored } from './store.js';

/**
 * Resolves once the app's recorded state is written by anyone (its resourceVersion moves on), as
 * seen by a watch. Never rejects: should the watch fail or `signal` end it, it simply never resolves.
 */
export function stateWritten(
  ctx: EngineContext,
  namespace: string,
  app: string,
  resourceVersion: string,
  signal: AbortSignal,
): Promise<void> {
  return new Promise<void>((resolve) => {
    ctx.cluster
      .waitFor(
        { apiVersion: API.ConfigMap, kind: 'ConfigMap' },
        namespace,
        (objs) => objs.get(stateName(app))?.metadata.resourceVersion !== resourceVersion,
        // From the version we hold: any event is someone's write (or the deletion), with no list first.
        {
          fieldSelector: `metadata.name=${stateName(app)}`,
          timeoutMs: Number.POSITIVE_INFINITY,
          signal,
          ...(resourceVersion ? { resourceVersion } : {}),
        },
      )
      .then(
        () => resolve(),
        () => undefined,
      );
  });
}

/**
 * Writes the state; on a conflict re-reads and re-decides: if someone suspended or terminated the
 * workflow meanwhile, their word stands and we stop driving.
 */
export async function persist(
  ctx: EngineContext,
  stored: Stored | undefined,
  state: AppState,
): Promise<{ kind: 'saved'; stored: Stored } | { kind: 'stopped'; state: AppState }> {
  return retryOnConflict(
    8,
    async (n) => {
      ctx.assertLocked?.();
      if (n > 0) {
        const fresh = await loadState(ctx.cluster, state.namespace, state.app.name);
        // Our write landed and only its answer was lost.
        if (fresh && stableStringify(fresh.state) === stableStringify(state))
          return { kind: 'saved', stored: fresh };
        if (!fresh && stored)
          throw new WorkflowError(`the state of ${state.app.name} was deleted while vela-ts was driving it`);
        // (No state and none before: our create was refused without creating anything; try again.)
        // Someone else wrote the state while we drove this spec: a suspend or terminate from
        // another terminal, or a newer spec. Their word stands. (When the server refused us for
        // its own reasons the version is unchanged, and we simply write again; when we are the
        // ones applying a new spec, we replace whatever the old one had become.)
        const applyingNewSpec = stored !== undefined && stored.state.specHash !== state.specHash;
        if (fresh && stored && fresh.resourceVersion !== stored.resourceVersion && !applyingNewSpec) {
          return { kind: 'stopped', state: fresh.state };
        }
        if (fresh) stored = fresh;
      }
      return { kind: 'saved', stored: await saveState(ctx.cluster, state, stored) };
    },
    {
      exhausted: () =>
        new WorkflowError(`could not record the state of ${state.app.name}: it keeps changing`),
    },
  );
}
