import type { Application } from '../appfile/types.js';
import { API, LABEL_APP, trait } from '../compile/index.js';
import { ClusterError, LockedError, UsageError, WorkflowError } from '../errors.js';
import { stableStringify } from '../compile/stable.js';
import {
  begin,
  isFinished,
  operate,
  specHash,
  settled,
  startRollback,
  liveRevisions,
  readinessGates,
  type AppState,
  type Operation,
} from '../workflow/index.js';
import { applyObjects, checkOwnership, prune, waitReady, type Change } from './apply.js';
import type { EngineContext } from './context.js';
import { drive, objectsOf, persist, stateWritten, type Outcome } from './drive.js';
import { acquireLock, currentDriver } from './lock.js';
import { listApps, loadState, recordRevisions, saveState, stateName, type Stored } from './store.js';
import type { KindRef, KubeObject } from '../cluster/types.js';

/** Records a new state and drives it, unless someone else's edit arrived first. */
async function saveAndDrive(
  ctx: EngineContext,
  stored: Stored | undefined,
  state: AppState,
): Promise<Outcome> {
  const saved = await persist(ctx, stored, state);
  if (saved.kind === 'stopped') return { kind: 'stopped', state: saved.state };
  return drive(ctx, saved.stored);
}

export type { EngineContext, Reporter, Clock } from './context.js';
export { silentReporter, systemClock } from './context.js';
export type { Outcome } from './drive.js';

/** What `up` found and did. `unchanged` means the same spec was already applied: nothing was written. */
export type UpResult = Outcome | { kind: 'unchanged'; state: AppState; repaired?: string[] };

async function withLock<T>(
  ctx: EngineContext,
  namespace: string,
  app: string,
  body: (locked: EngineContext) => Promise<T>,
): Promise<T> {
  const lock = await acquireLock(ctx, namespace, app);
  try {
    return await body({
      ...ctx,
      assertLocked: () => {
        // Not a LockedError: this run did drive, and its stopping midway is a failure (exit 1).
        if (lock.lost) throw new WorkflowError(`lost the lock of ${app} (${lock.lost}); stopped driving it`);
      },
    });
  } finally {
    await lock.release();
  }
}

/**
 * Drives under the lock, and waits out timed suspends WITHOUT it, so `workflow resume`, `suspend`
 * or `rollback` from another terminal can act during the pause. When the timer is up, the
 * workflow continues only if nobody changed it meanwhile.
 */
async function driveWithTimers(
  ctx: EngineContext,
  namespace: string,
  app: string,
  first: Outcome | ((locked: EngineContext) => Promise<Outcome>),
): Promise<Outcome> {
  let outcome = typeof first === 'function' ? await withLock(ctx, namespace, app, first) : first;
  while (outcome.kind === 'suspended' && outcome.resumeAt) {
    const resumeAt = outcome.resumeAt;
    const paused = outcome.state;
    const stillPaused = (s: Stored | undefined): boolean =>
      s !== undefined &&
      s.state.specHash === paused.specHash &&
      s.state.workflow.phase === 'suspended' &&
      s.state.workflow.resumeAt === resumeAt;
    let fresh = await loadState(ctx.cluster, namespace, app);
    let told = false;
    for (;;) {
      if (!fresh || !stillPaused(fresh)) return { kind: 'stopped', state: fresh?.state ?? paused };
      const ms = Date.parse(resumeAt) - ctx.clock.now().getTime();
      if (ms <= 0) break;
      if (!told) ctx.report.waiting(`paused until ${resumeAt}`);
      told = true;
      // A `workflow suspend`, `resume`, `rollback` or a new spec from elsewhere ends the wait at once.
      const woke = await pauseUnlessWritten(ctx, namespace, app, fresh.resourceVersion, ms);
      fresh = await loadState(ctx.cluster, namespace, app);
      if (woke === 'elapsed') break;
    }
    if (!fresh || !stillPaused(fresh)) return { kind: 'stopped', state: fresh?.state ?? paused };
    const due = fresh;
    try {
      outcome = await withLock(ctx, namespace, app, async (locked) => {
        const again = (await loadState(ctx.cluster, namespace, app)) ?? due;
        // Looked at again under the lock: someone may have acted between our look and the lock.
        if (stableStringify(again.state) !== stableStringify(due.state))
          return { kind: 'stopped', state: again.state };
        return drive(locked, again);
      });
    } catch (err) {
      // Someone else drives it now (a resume by hand, or another run waiting on the same pause):
      // report where it stands, not the pause we saw.
      if (err instanceof LockedError) {
        const now = await loadState(ctx.cluster, namespace, app);
        return { kind: 'stopped', state: now?.state ?? due.state };
      }
      throw err;
    }
  }
  return outcome;
}

/**
 * Waits `ms`, or less when the app's state is written meanwhile (watched, not polled). Should the
 * watch fail, the timer alone decides.
 */
async function pauseUnlessWritten(
  ctx: EngineContext,
  namespace: string,
  app: string,
  resourceVersion: string,
  ms: number,
): Promise<'elapsed' | 'written'> {
  const stop = new AbortController();
  try {
    return await Promise.race([
      ctx.clock.sleep(ms, stop.signal).then(() => 'elapsed' as const),
      stateWritten(ctx, namespace, app, resourceVersion, stop.signal).then(() => 'written' as const),
    ]);
  } finally {
    stop.abort();
  }
}

/**
 * `up`: apply a spec and run its workflow. An unchanged spec whose workflow is suspended or over
 * changes nothing and writes nothing; one whose workflow is `running` with its driver gone is
 * continued where it stopped; a changed spec ends an unfinished workflow and starts the new one.
 */
export async function up(ctx: EngineContext, app: Application, namespace: string): Promise<UpResult> {
  if (ctx.createNamespace) await ensureNamespace(ctx, namespace);
  const stored = await loadState(ctx.cluster, namespace, app.name);
  const hash = specHash(app);
  if (stored && stored.state.specHash === hash) {
    const { phase, resumeAt } = stored.state.workflow;
    // A timed pause is still part of the run: rerunning `up` waits it out and carries on.
    if (phase === 'suspended' && resumeAt) {
      return driveWithTimers(ctx, namespace, app.name, { kind: 'suspended', state: stored.state, resumeAt });
    }
    if (phase !== 'running') return repairDrift(ctx, stored);
    return driveWithTimers(ctx, namespace, app.name, async (locked) => {
      const fresh = (await loadState(ctx.cluster, namespace, app.name)) ?? stored;
      // Under the lock, the workflow may no longer be ours to continue (suspended meanwhile).
      if (fresh.state.workflow.phase !== 'running' || fresh.state.specHash !== hash) {
        return { kind: 'stopped', state: fresh.state };
      }
      return drive(locked, fresh);
    });
  }
  // Everything that can refuse the spec runs before the lock is taken: exit 2 writes nothing.
  const planned = begin(app, namespace, stored?.state, ctx.clock.now().toISOString());
  await checkOwnership(
    ctx.cluster,
    namespace,
    app.name,
    objectsOf(planned),
    ctx.force,
    revisionDeployments(planned),
  );
  const theirs: { stored?: Stored } = {};
  const outcome = await driveWithTimers(ctx, namespace, app.name, async (locked) => {
    const fresh = await loadState(ctx.cluster, namespace, app.name);
    if (fresh && fresh.state.specHash === hash) {
      // Someone applied this very spec between our look and the lock: it is not new any more.
      if (fresh.state.workflow.phase === 'running') return drive(locked, fresh);
      theirs.stored = fresh;
      return { kind: 'stopped', state: fresh.state };
    }
    const now = ctx.clock.now().toISOString();
    const state = begin(app, namespace, fresh?.state, now);
    let previous = fresh;
    if (fresh && !isFinished(fresh.state.workflow.phase)) {
      ctx.report.info(
        `the unfinished workflow of ${app.name} (${fresh.state.workflow.phase}) is terminated; the new spec starts from its first step`,
      );
      // Recorded as ended before the new one starts: whoever watches sees it terminated.
      const ended = operate(fresh.state, 'terminate', now);
      const saved = await persist(locked, fresh, {
        ...ended,
        workflow: { ...ended.workflow, message: 'terminated: a new spec was applied' },
      });
      if (saved.kind === 'stopped') return { kind: 'stopped', state: saved.state };
      previous = saved.stored;
    }
    await recordRevisions(ctx.cluster, state, previous?.state.revisions);
    return saveAndDrive(locked, previous, state);
  });
  if (!theirs.stored) return outcome;
  // Their run is in a timed pause: waiting it out is part of running this spec, as for any rerun.
  const { phase, resumeAt } = theirs.stored.state.workflow;
  if (phase === 'suspended' && resumeAt)
    return driveWithTimers(ctx, namespace, app.name, {
      kind: 'suspended',
      state: theirs.stored.state,
      resumeAt,
    });
  return { kind: 'unchanged', state: theirs.stored.state };
}

/**
 * The same spec, a workflow that is not moving: make sure the cluster still holds what it says
 * (someone may have deleted or edited an object). Reads only when nothing drifted; otherwise, under
 * the lock, writes back exactly what drifted and waits until it is ready. The state is not touched.
 */
async function repairDrift(ctx: EngineContext, stored: Stored): Promise<UpResult> {
  const { namespace, app } = { namespace: stored.state.namespace, app: stored.state.app.name };
  const objects = objectsOf(stored.state);
  const drift = await applyObjects(ctx.cluster, namespace, app, objects, {
    force: ctx.force,
    checkOnly: true,
  });
  if (drift.changes.length === 0) return { kind: 'unchanged', state: stored.state };
  return withLock(ctx, namespace, app, async () => {
    const fresh = await loadState(ctx.cluster, namespace, app);
    // Someone moved the workflow meanwhile: their run owns the cluster now.
    if (!fresh || stableStringify(fresh.state) !== stableStringify(stored.state)) {
      return { kind: 'stopped', state: fresh?.state ?? stored.state };
    }
    const { written } = await applyObjects(ctx.cluster, namespace, app, objects, { force: ctx.force });
    if (written.length > 0) ctx.report.info(`repaired drift: applied ${written.join(', ')}`);
    try {
      await waitReady(ctx.cluster, namespace, app, readinessGates(stored.state), ctx.timeoutMs);
    } catch (err) {
      if (err instanceof ClusterError && err.reason === 'Timeout') throw new WorkflowError(err.message);
      throw err;
    }
    return { kind: 'unchanged', state: stored.state, repaired: written };
  });
}

/** The Deployments a run may create on its way: every revision its rollouts move between. */
function revisionDeployments(state: AppState): string[] {
  return Object.values(state.rollouts).flatMap((pair) => [
    pair.target,
    ...(pair.source ? [pair.source] : []),
  ]);
}

async function ensureNamespace(ctx: EngineContext, namespace: string): Promise<void> {
  const ref = { apiVersion: 'v1', kind: 'Namespace', namespace: '', name: namespace };
  // A 409 (someone created it meanwhile, or any conflict) re-reads and re-decides.
  for (let attempt = 0; attempt < 4; attempt++) {
    if (await ctx.cluster.get(ref)) return;
    try {
      await ctx.cluster.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
      ctx.report.info(`created namespace ${namespace}`);
      return;
    } catch (err) {
      if (!(err instanceof ClusterError && err.status === 409)) throw err;
    }
  }
  throw new ClusterError(`could not create namespace ${namespace}: it keeps conflicting`, 409, 'Conflict');
}

async function mustLoad(ctx: EngineContext, namespace: string, app: string): Promise<Stored> {
  let stored: Stored | undefined;
  try {
    stored = await loadState(ctx.cluster, namespace, app);
  } catch (err) {
    if (err instanceof ClusterError && err.status === 404) {
      throw new UsageError(`no vela-ts app "${app}" in namespace ${namespace}: the namespace does not exist`);
    }
    throw err;
  }
  if (!stored) throw new UsageError(`no vela-ts app "${app}" in namespace ${namespace}`);
  return stored;
}

/** `workflow resume`: approve a suspended workflow (or continue one whose driver died) and drive it. */
export async function resume(ctx: EngineContext, namespace: string, app: string): Promise<Outcome> {
  // Refusals (a terminated or finished workflow) come before the lock: exit 2 writes nothing.
  operate((await mustLoad(ctx, namespace, app)).state, 'resume', ctx.clock.now().toISOString());
  return driveWithTimers(ctx, namespace, app, async (locked) => {
    const stored = await mustLoad(ctx, namespace, app);
    const state = operate(stored.state, 'resume', ctx.clock.now().toISOString());
    return saveAndDrive(locked, stored, state);
  });
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
  for (let attempt = 0; attempt < 8; attempt++) {
    const stored = await mustLoad(ctx, namespace, app);
    // Our own write may have landed with its answer lost: then it is done, not refused.
    if (intended && stableStringify(stored.state) === stableStringify(intended))
      return { state: stored.state, changed: true };
    intended = operate(stored.state, op, ctx.clock.now().toISOString());
    if (stableStringify(intended) === stableStringify(stored.state))
      return { state: stored.state, changed: false };
    try {
      return { state: (await saveState(ctx.cluster, intended, stored)).state, changed: true };
    } catch (err) {
      if (!(err instanceof ClusterError && err.status === 409)) throw err;
    }
  }
  throw new ClusterError(`could not ${op} ${app}: its state keeps changing`);
}

/** `workflow restart`: run the recorded spec's workflow again from its first step. */
export async function restart(ctx: EngineContext, namespace: string, app: string): Promise<Outcome> {
  operate((await mustLoad(ctx, namespace, app)).state, 'restart', ctx.clock.now().toISOString());
  return driveWithTimers(ctx, namespace, app, async (locked) => {
    const stored = await mustLoad(ctx, namespace, app);
    const state = operate(stored.state, 'restart', ctx.clock.now().toISOString());
    await recordRevisions(ctx.cluster, state, stored.state.revisions);
    return saveAndDrive(locked, stored, state);
  });
}

/** `rollback`: end the workflow and put the canary component back on its stable revision. */
export async function rollback(
  ctx: EngineContext,
  namespace: string,
  app: string,
  component?: string,
): Promise<Outcome> {
  startRollback((await mustLoad(ctx, namespace, app)).state, ctx.clock.now().toISOString(), component);
  return driveWithTimers(ctx, namespace, app, async (locked) => {
    const stored = await mustLoad(ctx, namespace, app);
    return saveAndDrive(
      locked,
      stored,
      startRollback(stored.state, ctx.clock.now().toISOString(), component),
    );
  });
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
      `no vela-ts app in namespace ${namespace}; deploy one with \`vela-ts up FILE\`, or look in another namespace with -n`,
    );
  throw new UsageError(`namespace ${namespace} has several vela-ts apps (${apps.join(', ')}); name one`);
}

export interface StatusReport {
  name: string;
  namespace: string;
  sandbox: boolean;
  /** While running: who drives it (`user@host/pid`), or null when nobody does (interrupted). */
  driver?: string | null;
  workflow: {
    phase: string;
    message?: string;
    resumeAt?: string;
    steps: { name: string; type: string; phase: string; message?: string }[];
  };
  components: {
    name: string;
    revision: string;
    revisions: { name: string; replicas: number; readyReplicas: number }[];
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
  const routing = await liveRouting(ctx, namespace, app);
  const report = buildReport(ctx, namespace, app, s, live.items, routing);
  if (driver !== undefined) report.driver = driver;
  return {
    report,
    state: `${stateName(app)}@${stored.resourceVersion}`,
    deployments: versions(live.items),
  };
}

/** Weights and subsets as the cluster has them, per component (its VirtualService and DestinationRule). */
interface LiveRouting {
  traffic: Map<string, { revision: string; weight: number }[] | undefined>;
  subsets: Map<string, string[]>;
}

/**
 * What the mesh routes right now: status reports the cluster, not the move a driver recorded and
 * may not have made (a killed run). Undefined when the cluster has no Istio kinds to read.
 */
async function liveRouting(
  ctx: EngineContext,
  namespace: string,
  app: string,
): Promise<LiveRouting | undefined> {
  const selector = { labelSelector: `${LABEL_APP}=${app}` };
  try {
    const [vs, dr] = await Promise.all([
      ctx.cluster.list({ apiVersion: API.VirtualService, kind: 'VirtualService' }, namespace, selector),
      ctx.cluster.list({ apiVersion: API.DestinationRule, kind: 'DestinationRule' }, namespace, selector),
    ]);
    const traffic = new Map<string, { revision: string; weight: number }[] | undefined>();
    for (const v of vs.items) {
      const http = (
        v.spec as { http?: { route?: { destination?: { subset?: string }; weight?: number }[] }[] }
      )?.http;
      const route = http?.[0]?.route ?? [];
      const weighted = route.filter((r) => r.destination?.subset !== undefined);
      traffic.set(
        v.metadata.name,
        weighted.length > 0
          ? weighted.map((r) => ({ revision: r.destination?.subset ?? '', weight: r.weight ?? 0 }))
          : undefined,
      );
    }
    const subsets = new Map<string, string[]>();
    for (const d of dr.items) {
      const list = (d.spec as { subsets?: { name: string }[] } | undefined)?.subsets ?? [];
      subsets.set(
        d.metadata.name,
        list.map((x) => x.name),
      );
    }
    return { traffic, subsets };
  } catch (err) {
    if (err instanceof ClusterError && err.status === 404) return undefined;
    throw err;
  }
}

function buildReport(
  ctx: EngineContext,
  namespace: string,
  app: string,
  s: AppState,
  deployments: KubeObject[],
  routing?: LiveRouting,
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
      steps: s.workflow.steps.map((st) => ({
        name: st.name,
        type: st.type,
        phase: st.phase,
        ...(st.message ? { message: st.message } : {}),
      })),
    },
    components: s.app.components.map((c) => {
      const p = s.placement[c.name];
      // The cluster's routing where it has the component's objects; else what was recorded.
      const traffic = routing?.traffic.has(c.name) ? routing.traffic.get(c.name) : p?.traffic;
      const subsets = routing?.subsets.has(c.name) ? routing.subsets.get(c.name) : p?.subsets;
      const revisions =
        trait(c, 'rollout') && p
          ? liveRevisions(p).map((r) => ({ name: r, ...replicasOf(r) }))
          : [{ name: p?.revision ?? c.name, ...replicasOf(c.name) }];
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
 * Resolves when anything `status` shows may have changed: the recorded state (every move writes
 * it) or one of the app's Deployments (readiness). Watches; never polls.
 */
/**
 * Resolves when anything `status` shows has changed since `seen` was read: the recorded state
 * (every move writes it) or one of the app's Deployments (readiness). Comparing with what was
 * read, not with the watch's first sight, means a change in between is never lost. Watches;
 * never polls.
 */
export async function nextChange(
  ctx: EngineContext,
  namespace: string,
  app: string,
  seen: Observed,
  timeoutMs: number,
): Promise<void> {
  const stop = new AbortController();
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
    ]);
  } catch (err) {
    if (!(err instanceof ClusterError && err.reason === 'Timeout')) throw err;
  } finally {
    stop.abort();
  }
}

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
  const now = ctx.clock.now().toISOString();
  const target = specChanged ? settled(app, namespace, stored?.state, now) : stored.state;
  const { changes, stale } = await applyObjects(ctx.cluster, namespace, app.name, objectsOf(target), {
    force: ctx.force,
    dryRun: true,
  });
  const deleted = await prune(ctx.cluster, namespace, stale, { dryRun: true });
  const steps = specChanged ? target.workflow.steps.map((st) => `${st.name} (${st.type})`) : [];
  return { specChanged, steps, changes, deleted };
}
