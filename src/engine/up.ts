import type { Application } from '../appfile/types.js';
import { stableStringify } from '../compile/stable.js';
import { ClusterError, WorkflowError } from '../errors.js';
import {
  begin,
  isFinished,
  operate,
  readinessGates,
  simulate,
  specHash,
  type AppState,
} from '../workflow/index.js';
import { applyObjects } from './apply.js';
import { checkOwnership } from './ownership.js';
import { waitReady } from './readiness.js';
import { retryOnConflict } from './conflicts.js';
import { nowIso, type EngineContext } from './context.js';
import { drive, objectsOf, saveAndDrive, type Outcome } from './drive.js';
import { persist } from './record.js';
import { checkLimits } from './limits.js';
import { peekLease } from './lock.js';
import { checkMesh } from './mesh.js';
import { trait } from '../compile/index.js';
import { loadState, recordRevisions, type Stored } from './store.js';
import { driveWithTimers, withLock } from './timers.js';

/** What `up` found and did. `unchanged` means the same spec was already applied: nothing was written. */
export type UpResult = Outcome | { kind: 'unchanged'; state: AppState; repaired?: string[] };

/**
 * `up`: apply a spec and run its workflow. An unchanged spec whose workflow is suspended or over
 * changes nothing and writes nothing; one whose workflow is `running` with its driver gone is
 * continued where it stopped; a changed spec ends an unfinished workflow and starts the new one.
 */
export async function up(ctx: EngineContext, app: Application, namespace: string): Promise<UpResult> {
  if (ctx.createNamespace) await ensureNamespace(ctx, namespace, app);
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
  const planned = begin(app, namespace, stored?.state, nowIso(ctx));
  const rendered = objectsOf(planned);
  checkLimits(planned, rendered);
  // The record grows as the run goes (every step gets its times): it must still fit at the end,
  // or a large app would be refused only after all of its objects were written.
  checkLimits(simulate(planned, nowIso(ctx)).final, []);
  await checkMesh(ctx, namespace, app, ctx.skipMeshCheck ?? false);
  // The lease before the objects: if it is still free and unwritten when we take it, no driver
  // wrote anything after our look, and the drive can start from what the ownership check read.
  // (A lease that cannot be read is looked at again when it is taken, with its usual errors.)
  const lease = await peekLease(ctx, namespace, app.name).catch(() => undefined);
  const seen = await checkOwnership(
    ctx.cluster,
    namespace,
    app.name,
    rendered,
    ctx.force,
    revisionDeployments(planned),
    Object.values(planned.revisions).flatMap((records) => records.map((r) => r.name)),
  );
  const theirs: { stored?: Stored } = {};
  const outcome = await driveWithTimers(
    ctx,
    namespace,
    app.name,
    async (locked, lock) => {
      const fresh = await loadState(ctx.cluster, namespace, app.name);
      if (fresh && fresh.state.specHash === hash) {
        // Someone applied this very spec between our look and the lock: it is not new any more.
        if (fresh.state.workflow.phase === 'running') return drive(locked, fresh);
        theirs.stored = fresh;
        return { kind: 'stopped', state: fresh.state };
      }
      const now = nowIso(ctx);
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
      return saveAndDrive(locked, previous, state, lock.untouchedSinceSeen ? seen : undefined);
    },
    lease,
  );
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
    const { changes } = await applyObjects(ctx.cluster, namespace, app, objects, { force: ctx.force });
    const written = changes.map((c) => c.object);
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

/**
 * `--create-namespace`: as helm's, plus, for an app that splits traffic with weights, Istio's
 * injection label, without which the weights would not act (mesh.ts).
 */
async function ensureNamespace(ctx: EngineContext, namespace: string, app: Application): Promise<void> {
  const meshed = app.components.some((c) => trait(c, 'canary-traffic'));
  const ref = { apiVersion: 'v1', kind: 'Namespace', namespace: '', name: namespace };
  // A 409 (someone created it meanwhile, or any conflict) re-reads and re-decides.
  await retryOnConflict(
    4,
    async () => {
      if (await ctx.cluster.get(ref)) return;
      await ctx.cluster.create({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: namespace, ...(meshed ? { labels: { 'istio-injection': 'enabled' } } : {}) },
      });
      ctx.report.info(`created namespace ${namespace}${meshed ? ' (istio-injection=enabled)' : ''}`);
    },
    {
      exhausted: () =>
        new ClusterError(`could not create namespace ${namespace}: it keeps conflicting`, 409, 'Conflict'),
    },
  );
}
