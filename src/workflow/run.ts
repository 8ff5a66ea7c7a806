import type { Application, Component } from '../appfile/types.js';
import {
  cumulativeTargets,
  lastBatch,
  resolveRevisions,
  settle,
  trait,
  type ComponentPlacement,
  type Placement,
} from '../compile/index.js';
import { stableStringify } from '../compile/stable.js';
import { createHash } from 'node:crypto';
import { assertNever, UsageError } from '../errors.js';
import {
  byRevisionNumber,
  CANARY,
  plannedSteps,
  resolveTargets,
  rollbackMove,
  rollbackTarget,
  STABLE,
  stepComponent,
  stepMove,
  type StepMove,
} from './steps.js';
import { runSteps, type AppState, type StepStatus, type Transition, type WorkflowPhase } from './types.js';
import { parseDuration } from '../duration.js';
import {
  DEFAULT_ENDPOINT,
  dueAt,
  gateSummary,
  gateTiming,
  measured,
  newGate,
  type MetricGate,
  type Reading,
} from './metrics.js';

export function specHash(app: Application): string {
  return createHash('sha256').update(stableStringify(app)).digest('hex').slice(0, 16);
}

export function isFinished(phase: WorkflowPhase): boolean {
  return phase === 'succeeded' || phase === 'failed' || phase === 'terminated';
}

/**
 * A spec is applied: resolve its revisions, carry each component's placement over, end an
 * unfinished workflow (`terminated`) and start the new one from its first step. Pure.
 */
export function begin(
  app: Application,
  namespace: string,
  previous: Pick<AppState, 'revisions' | 'placement' | 'stable' | 'previousStable'> | undefined,
  now: string,
): AppState {
  const resolved = resolveRevisions(app, previous?.revisions ?? {});
  const placement: Placement = {};
  const rollouts: AppState['rollouts'] = {};
  const stable = { ...(previous?.stable ?? {}) };
  const problems: Refusal[] = [];
  const knownOf = (c: string) => (resolved.history[c] ?? []).map((r) => r.name);
  app.components.forEach((component, ci) => {
    const rollout = trait(component, 'rollout');
    const pinned = rollout?.properties.targetRevision;
    if (pinned && !knownOf(component.name).includes(pinned)) {
      problems.push({
        path: `spec.components[${ci}].traits[${component.traits.findIndex((t) => t.type === 'rollout')}].properties.targetRevision`,
        message: `the rollout trait of ${component.name} names targetRevision ${pinned}, which ${component.name} has never had (known: ${knownOf(component.name).join(', ') || 'none'})`,
      });
      return;
    }
    const target = pinned ?? resolved.current[component.name] ?? component.name;
    placement[component.name] = settle(
      component,
      resolved.current[component.name] ?? '',
      previous?.placement[component.name],
    );
    if (rollout) {
      const source = servingSource(stable[component.name], target, previous?.placement[component.name]);
      if (source) stable[component.name] = source;
      rollouts[component.name] = source && source !== target ? { source, target } : { target };
    }
  });
  problems.push(...unworkable(app, resolved.current, rollouts, knownOf));
  if (problems.length > 0) throw new OperationRefused(problems.map((p) => p.message).join('\n'), problems);
  return {
    app,
    namespace,
    specHash: specHash(app),
    revisions: resolved.history,
    current: resolved.current,
    placement,
    stable,
    ...(previous?.previousStable ? { previousStable: { ...previous.previousStable } } : {}),
    rollouts,
    workflow: {
      phase: 'running',
      steps: skipWhenNothingRolls(
        app,
        rollouts,
        plannedSteps(app).map((s) => ({ ...s, phase: 'pending' })),
      ),
      startedAt: now,
    },
  };
}

/**
 * A new spec that gives no rolling component a new revision (only another component, or a trait,
 * changed) has nothing to roll out: as Argo Rollouts promotes at once a change that leaves the pod
 * template alone, its canary-rollout steps and gates are skipped, and the change is simply applied.
 * (Metric gates too: there is no canary to judge.)
 * Only for workflows that name the rollout's ends as `stable`/`canary` or name no weights; one
 * with explicit revision names was written for one particular rollout and runs as written.
 */
function skipWhenNothingRolls(
  app: Application,
  rollouts: AppState['rollouts'],
  steps: StepStatus[],
): StepStatus[] {
  const specSteps = app.workflow;
  if (!specSteps) return steps;
  const rolling = specSteps.filter((st) => st.type === 'canary-rollout');
  if (rolling.length === 0) return steps;
  const moving = rolling.some((st) => {
    const c = stepComponent(app, st.properties.component);
    return c !== undefined && rollouts[c.name]?.source !== undefined;
  });
  const aliasesOnly = rolling.every((st) =>
    (st.properties.traffic?.weightedTargets ?? []).every(
      (t) => t.revision === STABLE || t.revision === CANARY,
    ),
  );
  if (moving || !aliasesOnly) return steps;
  const gates: (string | undefined)[] = ['canary-rollout', 'suspend', 'check-metrics'];
  return steps.map((s, i) => (gates.includes(specSteps[i]?.type) ? { ...s, phase: 'skipped' as const } : s));
}

/**
 * The revision a new rollout starts from: the stable one, unless it no longer runs (a run stopped
 * between removing the old revision and recording the new one as stable): then the live revision
 * that carries the traffic, so a new spec never bypasses the revision actually serving.
 */
function servingSource(
  stable: string | undefined,
  target: string,
  previous: ComponentPlacement | undefined,
): string | undefined {
  const live = Object.keys(previous?.replicas ?? {}).filter((r) => (previous?.replicas?.[r] ?? 0) > 0);
  if (!stable || live.length === 0 || live.includes(stable)) return stable;
  const byWeight = [...(previous?.traffic ?? [])].sort((a, b) => b.weight - a.weight);
  const serving = byWeight.find((t) => t.weight > 0 && live.includes(t.revision))?.revision;
  return (
    serving ??
    live
      .filter((r) => r !== target)
      .sort(byRevisionNumber)
      .at(-1) ??
    stable
  );
}

/** A spec refused before anything moves, with the YAML path of what is wrong. */
export interface Refusal {
  path: string;
  message: string;
}

/**
 * Checks what can be checked before anything moves, all at once. With a workflow, a rollout
 * component gets a new revision only through a step that acts on it (one no step names would
 * silently stay where it is while `status` shows the new revision); a step's weights may only name
 * the two revisions its rollout moves between (revision names are predicted by hand, and a wrong
 * guess would otherwise fail only after replicas had moved); a step that runs the last batch, which
 * removes the old revision, may not route to it; and a rollback goes to a revision that exists.
 */
function unworkable(
  app: Application,
  current: Record<string, string>,
  rollouts: AppState['rollouts'],
  knownOf: (component: string) => string[],
): Refusal[] {
  if (!app.workflow) return [];
  const problems: Refusal[] = [];
  const acted = new Set(
    app.workflow.map((st) =>
      st.type === 'canary-rollout' || st.type === 'canary-rollback'
        ? stepComponent(app, st.properties.component)?.name
        : undefined,
    ),
  );
  for (const [name, pair] of Object.entries(rollouts)) {
    if (pair.source && !acted.has(name)) {
      problems.push({
        path: 'spec.workflow.steps',
        message: `component ${name} has a new revision (${current[name] ?? pair.target}) but no canary-rollout or canary-rollback step acts on it; add a step with "component: ${name}"`,
      });
    }
  }
  app.workflow.forEach((step, si) => {
    const at = `spec.workflow.steps[${si}].properties`;
    if (step.type === 'suspend' || step.type === 'check-metrics') return;
    const component = stepComponent(app, step.properties.component);
    const pair = component ? rollouts[component.name] : undefined;
    if (!component || !pair) return;
    if (step.type === 'canary-rollback') {
      const version = step.properties.rollbackVersion;
      if (version && !knownOf(component.name).includes(version)) {
        problems.push({
          path: `${at}.rollbackVersion`,
          message: `step ${step.name} rolls back to ${version}, which ${component.name} has never had (known: ${knownOf(component.name).join(', ') || 'none'})`,
        });
      }
      return;
    }
    const allowed = [pair.source, pair.target].filter((r): r is string => r !== undefined);
    // `stable` and `canary` name the two ends of whatever this rollout is; they always fit.
    const targets = (step.properties.traffic?.weightedTargets ?? []).map((t) =>
      t.revision === STABLE || t.revision === CANARY
        ? { ...t, revision: resolveTargets([t], pair)[0]!.revision }
        : t,
    );
    targets.forEach((t, ti) => {
      const path = `${at}.traffic.weightedTargets[${ti}].revision`;
      if (allowed.includes(t.revision)) return;
      problems.push({
        path,
        message: pair.source
          ? `step ${step.name} routes ${t.weight}% to ${t.revision}, but this rollout of ${component.name} goes from ${pair.source} to ${pair.target}; name ${allowed.join(' or ')}`
          : knownOf(component.name).includes(t.revision)
            ? `step ${step.name} routes ${t.weight}% to ${t.revision}, but ${component.name} has finished rolling out to ${pair.target} and ${t.revision} no longer runs; to go back to it, use \`vela-ts rollback\``
            : `step ${step.name} routes ${t.weight}% to ${t.revision}, but ${component.name} has only ${pair.target} so far: this file rolls out from an earlier version; deploy that one first (plan: --from EARLIER_FILE)`,
      });
    });
    const rollout = trait(component, 'rollout');
    if (!pair.source || !rollout) return;
    const batches = cumulativeTargets(rollout.properties).length;
    const partition = step.properties.batchPartition ?? rollout.properties.batchPartition;
    if (lastBatch(batches, partition) < batches - 1) return;
    targets.forEach((t, ti) => {
      if (t.revision !== pair.source || t.weight === 0) return;
      problems.push({
        path: `${at}.traffic.weightedTargets[${ti}].weight`,
        message: `step ${step.name} runs the last batch of ${component.name}, which removes ${pair.source}, but routes ${t.weight}% to it; route it to ${pair.target}, or hold the last batch back with a lower batchPartition`,
      });
    });
  });
  return problems;
}

function withStep(state: AppState, index: number, patch: Partial<StepStatus>): AppState {
  const steps = state.workflow.steps.map((s, i) => (i === index ? { ...s, ...patch } : s));
  return { ...state, workflow: { ...state.workflow, steps } };
}

function finish(state: AppState, phase: WorkflowPhase, now: string, message?: string): AppState {
  const { resumeAt: _drop, ...workflow } = state.workflow;
  return { ...state, workflow: { ...workflow, phase, finishedAt: now, ...(message ? { message } : {}) } };
}

/**
 * The step that was running (or due) fails with `why`: the steps after it are skipped and the
 * workflow is `failed`. Its message says where the traffic stays, since nothing is moved back.
 */
export function failStep(state: AppState, why: string, now: string): AppState {
  const index = state.workflow.steps.findIndex((st) => st.phase === 'running' || st.phase === 'pending');
  const live = Object.values(state.placement)
    .flatMap((p) => p.traffic ?? [])
    .filter((t) => t.weight > 0)
    .map((t) => `${t.weight}% ${t.revision}`)
    .join(', ');
  const at = index >= 0 ? `step ${state.workflow.steps[index]?.name}: ` : '';
  const message = `${at}${why}${live ? `\ntraffic stays where it was: ${live}` : ''}`;
  const failed =
    index >= 0 ? withStep(state, index, { phase: 'failed', message: why, finishedAt: now }) : state;
  const steps = skipRest(failed, index).workflow.steps;
  return { ...state, workflow: { ...state.workflow, phase: 'failed', steps, message, finishedAt: now } };
}

/**
 * One move of the workflow from where the state stands. The shell persists the new state, then
 * acts on the effect; calling `next` again on the same state gives the same answer, which is what
 * makes a killed process safe to continue. A finished step flows straight into the next one's
 * first move, unless `stepwise` asks to stop in between (as `plan` does, to show each step's end).
 */
export function next(state: AppState, now: string, opts: { stepwise?: boolean } = {}): Transition {
  let s = state;
  if (s.workflow.phase !== 'running' && s.workflow.phase !== 'suspended')
    return { state: s, effect: { kind: 'finish' }, step: -1 };
  // Suspended by a person while a step was running (no suspend step is holding it): nothing moves
  // until someone resumes it.
  if (s.workflow.phase === 'suspended' && !s.workflow.steps.some((st) => st.phase === 'suspended')) {
    return {
      state: s,
      effect: { kind: 'suspend' },
      step: s.workflow.steps.findIndex((st) => st.phase === 'running'),
    };
  }
  // Each turn ends a step or returns, so one turn per step (and one more) is all a run can take;
  // a fixed cap would refuse a valid app with that many steps that move nothing.
  for (let guard = 0; guard <= 2 * s.workflow.steps.length + 1; guard++) {
    const index = s.workflow.steps.findIndex((st) => st.phase !== 'succeeded' && st.phase !== 'skipped');
    if (index === -1) return { state: finish(s, 'succeeded', now), effect: { kind: 'finish' }, step: -1 };
    const step = s.workflow.steps[index] as StepStatus;

    if (step.type === 'suspend') {
      if (step.phase === 'suspended') {
        const resumeAt = s.workflow.resumeAt;
        if (resumeAt && resumeAt <= now) {
          s = resumed(s, now);
          continue;
        }
        return {
          state: s,
          effect: {
            kind: 'suspend',
            ...(resumeAt ? { resumeAt } : {}),
            ...(step.message ? { message: step.message } : {}),
          },
          step: index,
        };
      }
      const spec = (runSteps(s) ?? [])[index];
      const props = spec?.type === 'suspend' ? spec.properties : {};
      const resumeAt = props.duration
        ? new Date(Date.parse(now) + (parseDuration(props.duration) ?? 0)).toISOString()
        : undefined;
      s = withStep(s, index, {
        phase: 'suspended',
        startedAt: step.startedAt ?? now,
        ...(props.message ? { message: props.message } : {}),
      });
      s = { ...s, workflow: { ...s.workflow, phase: 'suspended', ...(resumeAt ? { resumeAt } : {}) } };
      return {
        state: s,
        effect: {
          kind: 'suspend',
          ...(resumeAt ? { resumeAt } : {}),
          ...(props.message ? { message: props.message } : {}),
        },
        step: index,
      };
    }

    if (step.type === 'check-metrics') {
      const gated = gateMove(s, index, now);
      if (gated.kind === 'continue') {
        s = gated.state;
        if (opts.stepwise) return { state: s, effect: { kind: 'step-ended' }, step: index };
        continue;
      }
      return { ...gated.transition, step: index };
    }

    if (step.phase === 'pending') s = withStep(s, index, { phase: 'running', startedAt: now });
    const move = stepMove(s, index);
    switch (move.kind) {
      case 'move': {
        s = withStep(placed(s, move, now), index, { message: move.note });
        return { state: s, effect: { kind: 'realize', note: move.note }, step: index };
      }
      case 'fail': {
        s = withStep(s, index, { phase: 'failed', message: move.message, finishedAt: now });
        s = skipRest(s, index);
        return {
          state: finish(s, 'failed', now, `step ${step.name} failed: ${move.message}`),
          effect: { kind: 'finish' },
          step: index,
        };
      }
      case 'done': {
        if (move.stable) s = nowStable(s, move.stable);
        const { message: _m, ...rest } = s.workflow.steps[index] as StepStatus;
        s = {
          ...s,
          workflow: {
            ...s.workflow,
            steps: s.workflow.steps.map((st, i) =>
              i === index ? { ...rest, phase: 'succeeded', finishedAt: now } : st,
            ),
          },
        };
        // `plan` shows every step as it stands when it ends, before the next one moves anything.
        if (opts.stepwise) return { state: s, effect: { kind: 'step-ended' }, step: index };
        continue;
      }
      default:
        return assertNever(move, 'step move');
    }
  }
  throw new Error('workflow did not settle');
}

/** A move's new placement, and when the traffic last changed if it rerouted anything. */
function placed(s: AppState, move: Extract<StepMove, { kind: 'move' }>, now: string): AppState {
  const before = s.placement[move.component];
  const rerouted =
    JSON.stringify([before?.traffic, before?.subsets]) !==
    JSON.stringify([move.placement.traffic, move.placement.subsets]);
  const out = { ...s, placement: { ...s.placement, [move.component]: move.placement } };
  return rerouted ? { ...out, trafficChangedAt: now } : out;
}

function nowStable(s: AppState, { component, revision }: { component: string; revision: string }): AppState {
  const old = s.stable[component];
  const out = { ...s, stable: { ...s.stable, [component]: revision } };
  return old && old !== revision
    ? { ...out, previousStable: { ...s.previousStable, [component]: old } }
    : out;
}

type GateMove = { kind: 'continue'; state: AppState } | { kind: 'act'; transition: Omit<Transition, 'step'> };

/**
 * A check-metrics step: start its gate, ask for a measurement, or act on its verdict. A passed
 * gate ends the step; a failed one rolls its component back (as `vela-ts rollback` does, the
 * stable revision growing back first) within the step, then fails the step and the workflow.
 */
function gateMove(state: AppState, index: number, now: string): GateMove {
  let s = state;
  const spec = (runSteps(s) ?? [])[index];
  const status = s.workflow.steps[index] as StepStatus;
  if (spec?.type !== 'check-metrics') return { kind: 'continue', state: s };
  const component = stepComponent(s.app, spec.properties.component);
  if (!component) {
    const failed = failStep(s, `no component ${spec.properties.component ?? ''} to judge`, now);
    return { kind: 'act', transition: { state: failed, effect: { kind: 'finish' } } };
  }
  if (!status.metrics) {
    const pair = s.rollouts[component.name];
    const canary = pair?.target ?? s.current[component.name] ?? component.name;
    const gate = newGate(
      spec.properties,
      { namespace: s.namespace, component: component.name, canary, stable: pair?.source ?? canary },
      spec.properties.metricEndpoint ?? DEFAULT_ENDPOINT,
    );
    s = withStep(s, index, {
      phase: 'running',
      startedAt: status.startedAt ?? now,
      metrics: gate,
      message: gateSummary(gate, spec.properties, now),
    });
  }
  const gate = (s.workflow.steps[index] as StepStatus).metrics as MetricGate;
  if (gate.verdict === 'passed') {
    s = withStep(s, index, { phase: 'succeeded', finishedAt: now });
    return { kind: 'continue', state: s };
  }
  if (gate.verdict !== 'failed') {
    const at = dueAt(gate, gateTiming(spec.properties));
    return {
      kind: 'act',
      transition: { state: s, effect: { kind: 'measure', gate, ...(at ? { at } : {}) } },
    };
  }
  const reason = gate.reason ?? 'the metric check failed';
  const move = rollbackMove(s, component, undefined, true);
  const end = (st: AppState, message: string): GateMove => {
    let out = withStep(st, index, { phase: 'failed', message: reason, finishedAt: now });
    out = skipRest(out, index);
    const { drainFirst: _d, ...rest } = out;
    return {
      kind: 'act',
      transition: { state: finish(rest, 'failed', now, message), effect: { kind: 'finish' } },
    };
  };
  switch (move.kind) {
    case 'move': {
      s = withStep(placed(s, move, now), index, { message: `${reason}; rolling back: ${move.note}` });
      return { kind: 'act', transition: { state: s, effect: { kind: 'realize', note: move.note } } };
    }
    case 'done': {
      if (move.stable) s = nowStable(s, move.stable);
      const to = move.stable ? ` (${move.stable.revision} 100%)` : '';
      return end(s, `step ${status.name} failed: ${reason}; rolled ${component.name} back${to}`);
    }
    case 'fail':
      return end(
        s,
        `step ${status.name} failed: ${reason}; ${component.name} was not rolled back: ${move.message}`,
      );
    default:
      return assertNever(move, 'rollback move');
  }
}

/**
 * The shell measured a gate: record the reading (`endpoint`: where it went) and decide. A
 * failed gate's component is drained first (`canaryUnready`) when its canary has no ready pod,
 * as `vela-ts rollback` does.
 */
export function recordReading(
  state: AppState,
  index: number,
  reading: Reading,
  now: string,
  opts: { deadline?: string; endpoint: string },
): AppState {
  const spec = (runSteps(state) ?? [])[index];
  const status = state.workflow.steps[index];
  if (spec?.type !== 'check-metrics' || !status?.metrics) return state;
  const gate = {
    ...measured(status.metrics, spec.properties, reading, now, opts.deadline),
    endpoint: opts.endpoint,
  };
  return withStep(state, index, { metrics: gate, message: gateSummary(gate, spec.properties, now) });
}

/** `plan`: a gate is assumed to pass, as every object is assumed ready and every suspend approved. */
export function passGate(state: AppState, index: number): AppState {
  const gate = state.workflow.steps[index]?.metrics;
  return gate ? withStep(state, index, { metrics: { ...gate, verdict: 'passed' } }) : state;
}

/** A failed gate's canary has no ready pod: its traffic leaves it at once (README "Rollback"). */
export function drainCanary(state: AppState, component: string): AppState {
  return { ...state, drainFirst: [...new Set([...(state.drainFirst ?? []), component])] };
}

/** When a gate started at `startedAt` stops waiting for a verdict: its `timeout`, else `fallbackMs` (0: never). */
export function gateDeadline(state: AppState, index: number, fallbackMs: number): string | undefined {
  const spec = (runSteps(state) ?? [])[index];
  const startedAt = state.workflow.steps[index]?.startedAt;
  if (spec?.type !== 'check-metrics' || !startedAt) return undefined;
  const own = spec.timeout !== undefined ? parseDuration(spec.timeout) : undefined;
  const ms = own ?? fallbackMs;
  if (!ms || !Number.isFinite(ms)) return undefined;
  // Never shorter than the gate needs to pass at all.
  const timing = gateTiming(spec.properties);
  const least = timing.durationMs + timing.intervalMs;
  return new Date(Date.parse(startedAt) + Math.max(ms, least)).toISOString();
}

function skipRest(s: AppState, after: number): AppState {
  const steps = s.workflow.steps.map((st, i) =>
    i > after && st.phase === 'pending' ? { ...st, phase: 'skipped' as const } : st,
  );
  return { ...s, workflow: { ...s.workflow, steps } };
}

function resumed(s: AppState, now: string): AppState {
  const steps = s.workflow.steps.map((st) =>
    st.phase === 'suspended' ? { ...st, phase: 'succeeded' as const, finishedAt: now } : st,
  );
  const { resumeAt: _r, ...workflow } = s.workflow;
  return { ...s, workflow: { ...workflow, phase: 'running', steps } };
}

/** Precondition-checked edits of the workflow status (as KubeVela's `vela workflow` verbs). */
export type Operation = 'resume' | 'suspend' | 'terminate' | 'restart';

/** A workflow edit whose precondition does not hold, or a spec that cannot start: exit 2. */
export class OperationRefused extends UsageError {
  override name = 'OperationRefused';
  /** When the spec itself is at fault: where in the file, so the command line can point at the line. */
  readonly problems: readonly Refusal[];
  constructor(message: string, problems: readonly Refusal[] = []) {
    super(message);
    this.problems = problems;
  }
}

export function operate(state: AppState, op: Operation, now: string): AppState {
  const phase = state.workflow.phase;
  switch (op) {
    case 'resume':
      if (phase === 'terminated')
        throw new OperationRefused(
          'cannot resume a terminated workflow; run it again from its first step with `vela-ts workflow restart`, or put the stable revision back with `vela-ts rollback`',
        );
      if (phase === 'failed')
        throw new OperationRefused(
          'the workflow failed; use `workflow restart` to run it again, or `rollback`',
        );
      if (phase === 'succeeded')
        throw new OperationRefused('the workflow has already succeeded; there is nothing to resume');
      return phase === 'suspended' ? resumed(state, now) : state;
    case 'suspend':
      if (isFinished(phase)) throw new OperationRefused(`cannot suspend a ${phase} workflow`);
      {
        // A person's suspend outranks a timed pause: it waits for them, not for the clock.
        const { resumeAt: _timer, ...workflow } = state.workflow;
        return { ...state, workflow: { ...workflow, phase: 'suspended' } };
      }
    case 'terminate': {
      if (isFinished(phase)) throw new OperationRefused(`the workflow is already ${phase}`);
      const steps = state.workflow.steps.map((st) =>
        st.phase === 'running' || st.phase === 'suspended'
          ? { ...st, phase: 'failed' as const, message: 'terminated', finishedAt: now }
          : st.phase === 'pending'
            ? { ...st, phase: 'skipped' as const }
            : st,
      );
      return finish(
        { ...state, workflow: { ...state.workflow, steps } },
        'terminated',
        now,
        'terminated by the user',
      );
    }
    case 'restart':
      return begin(state.app, state.namespace, state, now);
  }
}

/**
 * `vela-ts rollback`: end the workflow and put back the revisions that were stable before this
 * rollout. Without a named component, every component this spec rolls out is put back (each its
 * own step, traffic first); named, only that one. Returns a state whose workflow is those
 * rollback steps, so the same runner drives them (and a killed rollback is continued like any step).
 */
/**
 * `vela-ts rollback`: ends the workflow and runs a canary-rollback of each component that moved
 * (or only `named`). `unready`: components whose canary the shell found with no ready pod.
 */
export function startRollback(
  state: AppState,
  now: string,
  named?: string,
  unready: string[] = [],
): AppState {
  // The caller holds the lock, so whatever step was running is ours to end.
  const plan = (component: Component) => {
    const probe = rollbackMove(state, component, undefined);
    const to = rollbackTarget(state, component.name, undefined);
    const at = state.placement[component.name];
    const live = Object.keys(at?.replicas ?? {});
    // Nothing to put back: only that revision runs, and no route sends traffic anywhere else.
    const settled =
      live.length === 1 &&
      live[0] === to &&
      (at?.traffic ?? []).every((t) => t.revision === to || t.weight === 0);
    return { component, probe, to, settled };
  };
  let chosen: ReturnType<typeof plan>[];
  const rolledOut = named
    ? []
    : state.app.components.filter((c) => {
        const pair = state.rollouts[c.name];
        return trait(c, 'rollout') && pair?.source !== undefined && pair.source !== pair.target;
      });
  const moving = rolledOut.map(plan).filter((p) => p.probe.kind !== 'fail' && !p.settled);
  if (moving.length > 0) {
    chosen = moving;
  } else {
    const component = stepComponent(state.app, named);
    if (!component || !trait(component, 'rollout')) {
      const what = named ? `no component ${named} with a rollout trait` : 'no component with a rollout trait';
      throw new OperationRefused(`${state.app.name} has ${what} to roll back`);
    }
    const one = plan(component);
    if (one.probe.kind === 'fail') throw new OperationRefused(one.probe.message);
    if (one.settled)
      throw new OperationRefused(
        `${component.name} already runs only ${one.to}; there is nothing to roll back`,
      );
    chosen = [one];
  }
  const stepName = (c: Component) => (chosen.length === 1 ? 'rollback' : `rollback-${c.name}`);
  const { drainFirst: _previous, ...rest } = state;
  const drain = chosen.map((p) => p.component.name).filter((c) => unready.includes(c));
  return {
    ...rest,
    ...(drain.length > 0 ? { drainFirst: drain } : {}),
    override: chosen.map(({ component }) => ({
      name: stepName(component),
      type: 'canary-rollback' as const,
      properties: { component: component.name },
    })),
    workflow: {
      phase: 'running',
      steps: chosen.map(({ component }) => ({
        name: stepName(component),
        type: 'canary-rollback' as const,
        phase: 'pending' as const,
      })),
      startedAt: now,
      message: `rollback of ${chosen.map((p) => `${p.component.name} to ${p.to ?? 'its earlier revision'}`).join(', ')}`,
    },
  };
}
