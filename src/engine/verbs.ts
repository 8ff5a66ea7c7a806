import { stableStringify } from '../compile/stable.js';
import { ClusterError, UsageError } from '../errors.js';
import { operate, startRollback, type AppState, type Operation } from '../workflow/index.js';
import { retryOnConflict } from './conflicts.js';
import { canariesWithoutReadyPods } from './readiness.js';
import { nowIso, type EngineContext } from './context.js';
import { saveAndDrive, type Outcome } from './drive.js';
import { stateWritten } from './record.js';
import { checkRollbackComponent, missingApp } from './missing.js';
import { listApps, loadState, recordRevisions, saveState, type Stored } from './store.js';
import { driveWithTimers } from './timers.js';

/** The app's recorded state, or a usage error saying what is missing (the app, or its namespace). */
export async function mustLoad(ctx: EngineContext, namespace: string, app: string): Promise<Stored> {
  let stored: Stored | undefined;
  try {
    stored = await loadState(ctx.cluster, namespace, app);
  } catch (err) {
    if (err instanceof ClusterError && err.status === 404)
      throw await missingApp(ctx.cluster, namespace, app, true);
    throw err;
  }
  if (!stored) throw await missingApp(ctx.cluster, namespace, app);
  return stored;
}

/**
 * A verb that edits the workflow and drives it on: `decide` runs once before the lock, so a
 * refusal (exit 2) takes no lock and writes nothing, and once more under it, on the state as it
 * is then (someone may have acted between our look and the lock). `prepare` runs under the lock
 * before the new state is recorded.
 */
async function decideThenDrive(
  ctx: EngineContext,
  namespace: string,
  app: string,
  decide: (state: AppState, now: string) => AppState,
  opts: Bound & { prepare?: (state: AppState, stored: Stored) => Promise<void> } = {},
): Promise<Outcome> {
  const load = async () => {
    const stored = await mustLoad(ctx, namespace, app);
    if (opts.expect !== undefined && stored.resourceVersion !== opts.expect) throw new StaleView(stored);
    return stored;
  };
  decide((await load()).state, nowIso(ctx));
  return driveWithTimers(ctx, namespace, app, async (locked) => {
    const stored = await load();
    const state = decide(stored.state, nowIso(ctx));
    await opts.prepare?.(state, stored);
    return saveAndDrive(locked, stored, state);
  });
}

/** An action bound to the state a person saw: `expect` is its resourceVersion. */
export interface Bound {
  expect?: string;
}

/**
 * The state changed since the person saw it (someone resumed, rolled back, suspended or applied a
 * new spec): an approval given on that view must not act on what is there now.
 */
export class StaleView extends Error {
  override name = 'StaleView';
  constructor(readonly now: Stored) {
    super('the workflow changed since it was shown');
  }
}

/** The app's recorded state as it is now, with its version: what a person is shown at a gate. */
export const readApp = mustLoad;

/** Resolves once anyone writes the app's state after version `resourceVersion`; never rejects. */
export const appWritten = stateWritten;

/** `workflow resume`: approve a suspended workflow (or continue one whose driver died) and drive it. */
export function resume(
  ctx: EngineContext,
  namespace: string,
  app: string,
  bound: Bound = {},
): Promise<Outcome> {
  return decideThenDrive(ctx, namespace, app, (s, now) => operate(s, 'resume', now), bound);
}

/** `workflow restart`: run the recorded spec's workflow again from its first step. */
export function restart(ctx: EngineContext, namespace: string, app: string): Promise<Outcome> {
  return decideThenDrive(ctx, namespace, app, (s, now) => operate(s, 'restart', now), {
    prepare: (state, stored) => recordRevisions(ctx.cluster, state, stored.state.revisions),
  });
}

/** `rollback`: end the workflow and put the canary component back on its stable revision. */
export async function rollback(
  ctx: EngineContext,
  namespace: string,
  app: string,
  component?: string,
  bound: Bound = {},
): Promise<Outcome> {
  const unready = await canariesWithoutReadyPods(ctx, (await mustLoad(ctx, namespace, app)).state);
  return decideThenDrive(
    ctx,
    namespace,
    app,
    (s, now) => {
      checkRollbackComponent(s, component);
      return startRollback(s, now, component, unready);
    },
    bound,
  );
}

/**
 * `workflow suspend|terminate`: a precondition-checked edit of the recorded status, retried on
 * conflict. It needs no lock: a driver that is running sees the edit when it next records its
 * progress, and stops.
 */
export async function edit(
  ctx: EngineContext,
  namespace: string,
  app: string,
  op: Extract<Operation, 'suspend' | 'terminate'>,
): Promise<{ state: AppState; changed: boolean }> {
  let intended: AppState | undefined;
  return retryOnConflict(
    8,
    async () => {
      const stored = await mustLoad(ctx, namespace, app);
      // Our own write may have landed with its answer lost: then it is done, not refused.
      if (intended && stableStringify(stored.state) === stableStringify(intended))
        return { state: stored.state, changed: true };
      intended = operate(stored.state, op, nowIso(ctx));
      if (stableStringify(intended) === stableStringify(stored.state))
        return { state: stored.state, changed: false };
      return { state: (await saveState(ctx.cluster, intended, stored)).state, changed: true };
    },
    { exhausted: () => new ClusterError(`could not ${op} ${app}: its state keeps changing`) },
  );
}

/** The app of a namespace when the user named none: there must be exactly one. */
export async function pickApp(
  ctx: EngineContext,
  namespace: string,
  named: string | undefined,
): Promise<string> {
  if (named) return named;
  let apps: string[];
  try {
    apps = await listApps(ctx.cluster, namespace);
  } catch (err) {
    if (err instanceof ClusterError && err.status === 404) {
      throw new UsageError(`no vela-ts app in namespace ${namespace}: the namespace does not exist`);
    }
    throw err;
  }
  if (apps.length === 1) return apps[0] as string;
  if (apps.length === 0)
    throw new UsageError(
      `no vela-ts app in namespace ${namespace}; deploy one with \`vela-ts up FILE\`, or look in another namespace with -n (\`vela-ts ls -A\` lists the apps of every namespace)`,
    );
  throw new UsageError(`namespace ${namespace} has several vela-ts apps (${apps.join(', ')}); name one`);
}
