import { API, compile, objectKey, type KubeObject } from '../compile/index.js';
import { stableStringify } from '../compile/stable.js';
import { assertNever, ClusterError, WorkflowError } from '../errors.js';
import {
  drainCanary,
  failStep,
  gateDeadline,
  next,
  readinessGates,
  recordReading,
  runSteps,
  type AppState,
  type Effect,
} from '../workflow/index.js';
import { DEFAULT_ENDPOINT, shownEndpoint } from '../workflow/metrics.js';
import { prometheusReader } from './prometheus.js';
import { applyObjects, prune, type LiveSet } from './apply.js';
import { allReady, canariesWithoutReadyPods, waitReady } from './readiness.js';
import { retryOnConflict } from './conflicts.js';
import { nowIso, type EngineContext } from './context.js';
import { loadState, saveState, stateName, type Stored } from './store.js';

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

/**
 * A metric gate is due at `effect.at`: wait for it (a suspend or terminate from elsewhere ends the
 * wait), ask Prometheus, record the reading. The clocks of the gate live in the recorded state, so
 * a driver killed mid-gate is continued from the same measurement window.
 */
async function measure(
  ctx: EngineContext,
  start: Stored,
  index: number,
  effect: Extract<Effect, { kind: 'measure' }>,
): Promise<{ kind: 'saved'; stored: Stored } | { kind: 'stopped'; state: AppState }> {
  let stored = start;
  const state = stored.state;
  const wait = effect.at ? Date.parse(effect.at) - ctx.clock.now() : 0;
  if (wait > 0) {
    ctx.report.waiting(
      `next measurement of ${state.workflow.steps[index]?.name ?? 'the gate'} in ${Math.ceil(wait / 1000)}s`,
    );
    if (await pauseUnlessWritten(ctx, stored, wait)) {
      const fresh = await loadState(ctx.cluster, state.namespace, state.app.name);
      if (!fresh)
        throw new WorkflowError(`the state of ${state.app.name} was deleted while vela-ts was driving it`);
      if (fresh.state.workflow.phase !== 'running' || fresh.state.specHash !== state.specHash)
        return { kind: 'stopped', state: fresh.state };
      return { kind: 'saved', stored: fresh };
    }
  }
  ctx.assertLocked?.();
  const spec = (runSteps(state) ?? [])[index];
  const written = spec?.type === 'check-metrics' ? spec.properties.metricEndpoint : undefined;
  const endpoint = ctx.prometheusUrl ?? written ?? DEFAULT_ENDPOINT;
  const read = ctx.metrics ?? prometheusReader(ctx.cluster, { timeoutMs: 30_000 });
  const reading = await read(endpoint, effect.gate.query);
  const now = nowIso(ctx);
  const deadline = gateDeadline(state, index, ctx.timeoutMs);
  let next = recordReading(state, index, reading, now, {
    ...(deadline ? { deadline } : {}),
    endpoint: shownEndpoint(endpoint),
  });
  const gate = next.workflow.steps[index]?.metrics;
  if (gate?.verdict === 'failed' && (await canariesWithoutReadyPods(ctx, next)).includes(gate.component))
    next = drainCanary(next, gate.component);
  const message = next.workflow.steps[index]?.message;
  if (message) ctx.report.info(message);
  const saved = await persist(ctx, stored, next);
  if (saved.kind === 'stopped') return saved;
  stored = saved.stored;
  return { kind: 'saved', stored };
}

/** Sleeps `ms`; resolves true early when the app's state is written by anyone meanwhile. */
async function pauseUnlessWritten(ctx: EngineContext, stored: Stored, ms: number): Promise<boolean> {
  const watching = new AbortController();
  const { namespace, app } = stored.state;
  const written = stateWritten(ctx, namespace, app.name, stored.resourceVersion, watching.signal).then(
    () => true,
  );
  const slept = ctx.clock.sleep(ms, watching.signal).then(
    () => false,
    () => false,
  );
  try {
    return await Promise.race([written, slept]);
  } finally {
    watching.abort();
  }
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
