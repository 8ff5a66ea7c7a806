import { API, compile, objectKey, type KubeObject } from '../compile/index.js';
import { assertNever, ClusterError, WorkflowError } from '../errors.js';
import { failStep, next, readinessGates, type AppState } from '../workflow/index.js';
import { measure } from './gates.js';
import { persist, stateWritten } from './record.js';
import { applyObjects, prune } from './apply.js';
import type { LiveSet } from './live.js';
import { allReady, waitReady } from './readiness.js';
import { nowIso, type EngineContext } from './context.js';
import { loadState, type Stored } from './store.js';

export type Outcome =
  | { kind: 'succeeded'; state: AppState }
  | { kind: 'suspended'; state: AppState; resumeAt?: string; message?: string }
  | { kind: 'failed'; state: AppState; message: string }
  | { kind: 'terminated'; state: AppState }
  /** Someone else suspended or terminated the workflow while we drove it. */
  | { kind: 'stopped'; state: AppState };

/** Records a new state and drives it, unless someone else's edit arrived first. */
export async function saveAndDrive(
  ctx: EngineContext,
  stored: Stored | undefined,
  state: AppState,
  live?: LiveSet,
): Promise<Outcome> {
  const saved = await persist(ctx, stored, state);
  if (saved.kind === 'stopped') return { kind: 'stopped', state: saved.state };
  return drive(ctx, saved.stored, live);
}

export function objectsOf(state: AppState): KubeObject[] {
  return compile(state.app, state.namespace, state.placement, state.revisions);
}

/**
 * The one loop that moves an app: make the cluster hold the current placement and wait until it
 * is ready, ask the pure workflow for the next move, record it, repeat. The state is written
 * before each move is acted on, and acting is idempotent, so a killed run is continued by
 * running it again from any machine.
 */
export async function drive(ctx: EngineContext, start: Stored, seed?: LiveSet): Promise<Outcome> {
  let stored = start;
  let lastStep = -1;
  // The app's objects as the cluster holds them, read once (or given: read by the caller with no
  // driver active since) and then kept from the answers to our own writes and from the readiness
  // watch: a move costs its writes, not a re-list of the app. Dropped (so read afresh) whenever
  // someone else's edit is noticed.
  let live: LiveSet | undefined = seed;
  for (;;) {
    ctx.assertLocked?.();
    const state = stored.state;
    const objects = objectsOf(state);
    const applied = await applyObjects(ctx.cluster, state.namespace, state.app.name, objects, {
      force: ctx.force,
      ...(live ? { live } : {}),
    });
    const { changes, stale } = applied;
    live = applied.live;
    if (changes.length > 0) ctx.report.info(`applied ${changes.map((c) => c.object).join(', ')}`);
    const gates = readinessGates(state);
    const changed = changes
      .filter((c) => c.kind === 'Deployment' && gates.includes(c.name))
      .map((c) => c.name);
    if (changed.length > 0) ctx.report.waiting(`waiting for ${changed.join(', ')} to be ready`);
    // Nothing to wait for when no gate was written and each was ready when last seen: no watch.
    const unready = changed.length > 0 || !allReady(deploymentsOf(live), gates);
    // A `workflow suspend` or `terminate` from elsewhere ends the wait at once: a canary that will
    // never be ready must not keep the lock (and so a rollback) away until the timeout.
    const edited = new AbortController();
    const watching = new AbortController();
    if (unready)
      void stateWritten(ctx, state.namespace, state.app.name, stored.resourceVersion, watching.signal).then(
        () => edited.abort(),
      );
    try {
      if (unready) {
        const seen = await waitReady(
          ctx.cluster,
          state.namespace,
          state.app.name,
          gates,
          ctx.timeoutMs,
          edited.signal,
        );
        // Ready only by a fresh read after the timeout: read everything again next time.
        live = seen ? withDeployments(live, seen) : undefined;
      }
    } catch (err) {
      if (err instanceof ClusterError && err.reason === 'Timeout') return fail(ctx, stored, err.message);
      if (!(err instanceof ClusterError && err.reason === 'Aborted' && edited.signal.aborted)) throw err;
      const fresh = await loadState(ctx.cluster, state.namespace, state.app.name);
      if (!fresh)
        throw new WorkflowError(`the state of ${state.app.name} was deleted while vela-ts was driving it`);
      if (fresh.state.workflow.phase !== 'running' || fresh.state.specHash !== state.specHash)
        return { kind: 'stopped', state: fresh.state };
      stored = fresh;
      live = undefined;
      continue;
    } finally {
      watching.abort();
    }
    // What the app no longer renders goes only once what replaces it is ready.
    ctx.assertLocked?.();
    const deleted = await prune(ctx.cluster, state.namespace, stale);
    if (deleted.length > 0) ctx.report.info(`removed ${deleted.join(', ')}`);
    if (live) for (const o of stale) live.byKey.delete(objectKey(o));
    await settleTraffic(ctx, state);

    const t = next(state, nowIso(ctx));
    if (t.step !== lastStep && t.step >= 0) {
      const st = t.state.workflow.steps[t.step];
      if (st) ctx.report.step(st.name, st.type);
      lastStep = t.step;
    }
    const saved = await persist(ctx, stored, t.state);
    if (saved.kind === 'stopped') return saved;
    stored = saved.stored;

    switch (t.effect.kind) {
      case 'realize':
        ctx.report.move(t.effect.note);
        continue;
      case 'step-ended': // only produced when asked for (plan); nothing to act on
        continue;
      case 'measure': {
        const measuredState = await measure(ctx, stored, t.step, t.effect);
        if (measuredState.kind === 'stopped') return measuredState;
        stored = measuredState.stored;
        continue;
      }
      case 'suspend': {
        ctx.report.done();
        const { resumeAt, message } = t.effect;
        return {
          kind: 'suspended',
          state: stored.state,
          ...(resumeAt ? { resumeAt } : {}),
          ...(message ? { message } : {}),
        };
      }
      case 'finish': {
        ctx.report.done();
        const phase = stored.state.workflow.phase;
        if (phase === 'failed')
          return {
            kind: 'failed',
            state: stored.state,
            message: stored.state.workflow.message ?? 'the workflow failed',
          };
        if (phase === 'terminated') return { kind: 'terminated', state: stored.state };
        return { kind: 'succeeded', state: stored.state };
      }
      default:
        // A new effect must be handled here, not loop forever.
        return assertNever(t.effect, 'workflow effect');
    }
  }
}

/** The app's Deployments in `live`, by name. */
function deploymentsOf(live: LiveSet): Map<string, KubeObject> {
  const byName = new Map<string, KubeObject>();
  for (const o of live.byKey.values()) if (o.kind === 'Deployment') byName.set(o.metadata.name, o);
  return byName;
}

/** `live` with its Deployments replaced by those a readiness watch saw last (the same label selector). */
function withDeployments(live: LiveSet, seen: ReadonlyMap<string, KubeObject>): LiveSet {
  const byKey = new Map([...live.byKey].filter(([, o]) => o.kind !== 'Deployment'));
  for (const d of seen.values()) {
    const obj = { ...d, apiVersion: API.Deployment, kind: 'Deployment' };
    byKey.set(objectKey(obj), obj);
  }
  return { byKey };
}

async function fail(ctx: EngineContext, stored: Stored, why: string): Promise<Outcome> {
  const failed = failStep(stored.state, why, nowIso(ctx));
  const saved = await persist(ctx, stored, failed);
  ctx.report.done();
  if (saved.kind === 'stopped') return saved;
  return { kind: 'failed', state: saved.stored.state, message: failed.workflow.message ?? why };
}

/**
 * A route or subset changed recently: give the proxies the rest of the settle time before the
 * next move takes pods or subsets away. The time of the change is recorded with the move, so a
 * run killed during the pause still waits out the remainder when continued.
 */
async function settleTraffic(ctx: EngineContext, state: AppState): Promise<void> {
  if (!ctx.trafficSettleMs || !state.trafficChangedAt) return;
  const remaining = Date.parse(state.trafficChangedAt) + ctx.trafficSettleMs - ctx.clock.now();
  if (remaining <= 0) return;
  ctx.report.waiting(`letting the mesh settle for ${Math.ceil(remaining / 1000)}s`);
  await ctx.clock.sleep(remaining);
}
