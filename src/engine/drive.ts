import { compile, type KubeObject } from '../compile/index.js';
import { ClusterError, WorkflowError } from '../errors.js';
import { next, type AppState } from '../workflow/index.js';
import { applyObjects, waitReady } from './apply.js';
import type { EngineContext } from './context.js';
import { loadState, saveState, type Stored } from './store.js';

export type Outcome =
  | { kind: 'succeeded'; state: AppState }
  | { kind: 'suspended'; state: AppState; resumeAt?: string; message?: string }
  | { kind: 'failed'; state: AppState; message: string }
  | { kind: 'terminated'; state: AppState }
  /** Someone else suspended or terminated the workflow while we drove it. */
  | { kind: 'stopped'; state: AppState };

export function objectsOf(state: AppState): KubeObject[] {
  return compile(state.app, state.namespace, state.placement, state.revisions);
}

/**
 * The one loop that moves an app: make the cluster hold the current placement and wait until it
 * is ready, ask the pure workflow for the next move, record it, repeat. The state is written
 * before each move is acted on, and acting is idempotent, so a killed run is continued by
 * running it again from any machine.
 */
export async function drive(
  ctx: EngineContext,
  start: Stored,
  opts: { waitTimedSuspend: boolean },
): Promise<Outcome> {
  let stored = start;
  let lastStep = -1;
  for (;;) {
    const state = stored.state;
    const objects = objectsOf(state);
    const { written, deleted } = await applyObjects(ctx.cluster, state.namespace, state.app.name, objects, {
      force: ctx.force,
    });
    if (written.length + deleted.length > 0) ctx.report.info(describeWrites(written, deleted));
    // A route or subset just changed: give the proxies time to hear of it before the next move
    // takes pods or subsets away.
    const rerouted = written.some((w) => w.startsWith('VirtualService/') || w.startsWith('DestinationRule/'));
    if (rerouted && ctx.trafficSettleMs) {
      ctx.report.waiting(`letting the mesh settle for ${Math.round(ctx.trafficSettleMs / 1000)}s`);
      await ctx.clock.sleep(ctx.trafficSettleMs);
    }
    const deployments = objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name);
    const changed = written
      .filter((w) => w.startsWith('Deployment/'))
      .map((w) => w.slice('Deployment/'.length));
    if (changed.length > 0) ctx.report.waiting(`waiting for ${changed.join(', ')} to be ready`);
    try {
      await waitReady(ctx.cluster, state.namespace, state.app.name, deployments, ctx.timeoutMs);
    } catch (err) {
      if (err instanceof ClusterError && err.reason === 'Timeout') return fail(ctx, stored, err.message);
      throw err;
    }

    const t = next(state, ctx.clock.now().toISOString());
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
      case 'suspend': {
        const resumeAt = t.effect.resumeAt;
        if (resumeAt && opts.waitTimedSuspend) {
          ctx.report.waiting(`suspended until ${resumeAt}`);
          const ms = Date.parse(resumeAt) - ctx.clock.now().getTime();
          if (ms > 0) await ctx.clock.sleep(ms);
          const fresh = await loadState(ctx.cluster, state.namespace, state.app.name);
          if (
            !fresh ||
            fresh.state.workflow.phase !== 'suspended' ||
            fresh.state.specHash !== state.specHash
          ) {
            return { kind: 'stopped', state: fresh?.state ?? stored.state };
          }
          stored = fresh;
          continue;
        }
        ctx.report.done();
        return {
          kind: 'suspended',
          state: stored.state,
          ...(resumeAt ? { resumeAt } : {}),
          ...(t.effect.message ? { message: t.effect.message } : {}),
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
    }
  }
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
  for (let attempt = 0; attempt < 8; attempt++) {
    try {
      return { kind: 'saved', stored: await saveState(ctx.cluster, state, stored) };
    } catch (err) {
      if (!(err instanceof ClusterError && err.status === 409)) throw err;
      const fresh = await loadState(ctx.cluster, state.namespace, state.app.name);
      if (!fresh) {
        if (stored)
          throw new WorkflowError(`the state of ${state.app.name} was deleted while vela-ts was driving it`);
        continue; // our create was refused without creating anything: try again
      }
      // Nobody else wrote (the server refused us for its own reasons): write again.
      if (stored && fresh.resourceVersion !== stored.resourceVersion) {
        const phase = fresh.state.workflow.phase;
        // Someone else's word stands: a newer spec, or a suspend/terminate from another terminal.
        if (
          fresh.state.specHash !== stored.state.specHash ||
          (phase !== stored.state.workflow.phase && phase !== 'running')
        ) {
          return { kind: 'stopped', state: fresh.state };
        }
      }
      stored = fresh;
    }
  }
  throw new WorkflowError(`could not record the state of ${state.app.name}: it keeps changing`);
}

async function fail(ctx: EngineContext, stored: Stored, why: string): Promise<Outcome> {
  const now = ctx.clock.now().toISOString();
  const s = stored.state;
  const index = s.workflow.steps.findIndex((st) => st.phase === 'running' || st.phase === 'pending');
  const live = Object.entries(s.placement)
    .flatMap(([, p]) => p.traffic ?? [])
    .filter((t) => t.weight > 0)
    .map((t) => `${t.weight}% ${t.revision}`)
    .join(', ');
  const message = `${index >= 0 ? `step ${s.workflow.steps[index]?.name}: ` : ''}${why}${live ? `\ntraffic stays where it was: ${live}` : ''}`;
  const steps = s.workflow.steps.map((st, i) =>
    i === index
      ? { ...st, phase: 'failed' as const, message: why, finishedAt: now }
      : i > index && st.phase === 'pending'
        ? { ...st, phase: 'skipped' as const }
        : st,
  );
  const failed: AppState = {
    ...s,
    workflow: { ...s.workflow, phase: 'failed', steps, message, finishedAt: now },
  };
  const saved = await persist(ctx, stored, failed);
  ctx.report.done();
  return { kind: 'failed', state: saved.kind === 'saved' ? saved.stored.state : failed, message };
}

function describeWrites(written: string[], deleted: string[]): string {
  const parts = [];
  if (written.length) parts.push(`applied ${written.join(', ')}`);
  if (deleted.length) parts.push(`removed ${deleted.join(', ')}`);
  return parts.join('; ');
}
