/**
 * A metric gate as the driver runs it: wait until the gate is due, ask Prometheus (prometheus.ts),
 * hand the reading to the workflow (workflow/metrics.ts decides), record the result. A failed
 * gate's canary is looked at once, so a canary with no ready pod is drained first, as `rollback` does.
 */
import { WorkflowError } from '../errors.js';
import {
  drainCanary,
  gateDeadline,
  recordReading,
  runSteps,
  type AppState,
  type Effect,
} from '../workflow/index.js';
import { DEFAULT_ENDPOINT, shownEndpoint } from '../workflow/metrics.js';
import { nowIso, type EngineContext } from './context.js';
import { prometheusReader } from './prometheus.js';
import { canariesWithoutReadyPods } from './readiness.js';
import { persist, stateWritten } from './record.js';
import { loadState, type Stored } from './store.js';

/**
 * A metric gate is due at `effect.at`: wait for it (a suspend or terminate from elsewhere ends the
 * wait), ask Prometheus, record the reading. The clocks of the gate live in the recorded state, so
 * a driver killed mid-gate is continued from the same measurement window.
 */
export async function measure(
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
