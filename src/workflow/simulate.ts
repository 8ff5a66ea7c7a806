import type { Application, Component } from '../appfile/types.js';
import { cumulativeTargets, trait, type ComponentPlacement, type Placement } from '../compile/index.js';
import { begin, isFinished, next, operate, passGate } from './run.js';
import { gatePlan } from './metrics.js';
import { stepComponent } from './steps.js';
import { runSteps, type AppState, type StepStatus } from './types.js';

/** One component a step moved: where it stood when the step began, and where the step left it. */
export interface PlacementChange {
  component: string;
  before: ComponentPlacement | undefined;
  after: ComponentPlacement;
}

export interface SimulatedStep {
  index: number;
  name: string;
  type: StepStatus['type'];
  phase: StepStatus['phase'];
  message?: string;
  /** Each move the step made, in order (e.g. `batch 1 of 2: scale reviews-v2 to 1`). */
  moves: string[];
  /** The components the step moved, each once; empty for a step that moved nothing. */
  changes: PlacementChange[];
}

export interface Simulation {
  steps: SimulatedStep[];
  /** The state once the workflow is over (or failed). */
  final: AppState;
}

/** A step's view of the state: the slice it reads and writes, and where its own status sits in it. */
interface View {
  state: AppState;
  at: number;
  /** The one component the view holds; undefined for a view that holds the whole state. */
  component: string | undefined;
}

/**
 * Runs a workflow in memory with the same `next` the shell runs against a cluster, as if every
 * object became ready at once, every suspend were approved and every metric gate passed. This is `plan`.
 *
 * Each step runs on a slice of the state that holds only what the step reads and writes: its own
 * status and spec, and the one component it acts on (an `apply-component`, `canary-rollout`,
 * `canary-rollback` or `check-metrics` step acts on one; a `suspend` on none). `next` copies the collections it
 * changes, so on the whole state every move would cost as much as the app is large, and a plan of
 * N components and N steps would cost N squared; on a slice it costs what the step itself does.
 * A step type whose reads are not known here runs on the whole state.
 */
export function simulate(start: AppState, now: string): Simulation {
  if (isFinished(start.workflow.phase)) return { steps: [], final: start };
  const specs = runSteps(start);
  const components = new Map<string, Component>();
  for (const c of start.app.components) if (!components.has(c.name)) components.set(c.name, c);
  const fallback = stepComponent(start.app, undefined);

  // The simulation's own copies, changed in place as the steps end: nobody else sees them.
  const placement: Placement = { ...start.placement };
  const stable = { ...start.stable };
  let previousStable = start.previousStable ? { ...start.previousStable } : undefined;
  const statuses = [...start.workflow.steps];
  let trafficChangedAt = start.trafficChangedAt;
  let workflow = { ...start.workflow };

  const whole = (): AppState => ({
    ...start,
    placement: { ...placement },
    stable: { ...stable },
    ...(previousStable ? { previousStable: { ...previousStable } } : {}),
    ...(trafficChangedAt !== undefined ? { trafficChangedAt } : {}),
    workflow: { ...workflow, steps: [...statuses] },
  });

  /** What step `i` acts on: one component (undefined when it names one the app lacks), none, or unknown. */
  const actsOn = (i: number): { component: Component | undefined } | 'none' | 'whole' => {
    const status = statuses[i] as StepStatus;
    if (status.type === 'apply-component') return { component: components.get(status.name) };
    const spec = specs?.[i];
    if (!spec) return 'whole';
    switch (spec.type) {
      case 'suspend':
        return 'none';
      case 'canary-rollout':
      case 'canary-rollback':
      case 'check-metrics': {
        const named = spec.properties.component;
        return { component: named ? components.get(named) : fallback };
      }
      default:
        return 'whole';
    }
  };

  const view = (i: number): View => {
    const acts = actsOn(i);
    if (acts === 'whole') return { state: whole(), at: i, component: undefined };
    const c = acts === 'none' ? undefined : acts.component;
    const one = <T>(rec: Record<string, T> | undefined): Record<string, T> =>
      c && rec && Object.hasOwn(rec, c.name) ? { [c.name]: rec[c.name] as T } : {};
    const app: Application = { ...start.app, components: c ? [c] : [] };
    if (!start.override && start.app.workflow) app.workflow = [start.app.workflow[i]!];
    const state: AppState = {
      ...start,
      app,
      ...(start.override ? { override: [start.override[i]!] } : {}),
      revisions: one(start.revisions),
      current: one(start.current),
      placement: one(placement),
      stable: one(stable),
      ...(previousStable ? { previousStable: one(previousStable) } : {}),
      rollouts: one(start.rollouts),
      ...(trafficChangedAt !== undefined ? { trafficChangedAt } : {}),
      workflow: { ...workflow, steps: [statuses[i] as StepStatus] },
    };
    return { state, at: 0, component: c?.name ?? '' };
  };

  /** More moves than any step of this size can make means a bug, not a long rollout: stop. */
  const budget = (c: string | undefined): number => {
    const cost = (name: string) => {
      const component = components.get(name);
      const rollout = component ? trait(component, 'rollout') : undefined;
      const batches = rollout ? cumulativeTargets(rollout.properties).length : 0;
      return batches + (start.revisions[name]?.length ?? 0) + 1;
    };
    const size = c === undefined ? [...components.keys()].reduce((n, name) => n + cost(name), 0) : cost(c);
    return 64 + 16 * size;
  };

  const steps: SimulatedStep[] = [];
  for (let i = 0; i < statuses.length; i++) {
    const open = statuses[i] as StepStatus;
    if (open.phase === 'succeeded' || open.phase === 'skipped') continue;
    let v = view(i);
    const name = v.component;
    const before = name ? placement[name] : undefined;
    const moves: string[] = [];
    const record = (st: StepStatus, s: AppState) => {
      const changes: PlacementChange[] = [];
      if (name) {
        const after = s.placement[name];
        if (after && after !== before) changes.push({ component: name, before, after });
      } else if (v.component === undefined) {
        for (const [component, after] of Object.entries(s.placement)) {
          if (after !== placement[component])
            changes.push({ component, before: placement[component], after });
        }
      }
      steps.push({
        index: i,
        name: st.name,
        type: st.type,
        phase: st.phase,
        ...(st.message ? { message: st.message } : {}),
        moves: [...moves],
        changes,
      });
    };
    const limit = budget(name || undefined);
    let ended = false;
    for (let n = 0; !ended; n++) {
      if (n > limit) throw new Error(`simulation of step ${open.name} did not finish after ${limit} moves`);
      const was = v.state.workflow.steps[v.at]?.phase;
      const t = next(v.state, now, { stepwise: true });
      v = { ...v, state: t.state };
      if (t.effect.kind === 'realize' && t.step === v.at) moves.push(t.effect.note);
      // A metric gate is assumed to pass, as every object is assumed ready.
      if (t.effect.kind === 'measure') {
        const spec = (runSteps(v.state) ?? [])[t.step];
        if (spec?.type === 'check-metrics') moves.push(...gatePlan(t.effect.gate, spec.properties));
        v = { ...v, state: passGate(v.state, t.step) };
      }
      const st = v.state.workflow.steps[v.at] as StepStatus;
      const settledNow = st.phase === 'succeeded' || st.phase === 'suspended' || st.phase === 'failed';
      if (settledNow && was !== st.phase && !(was === 'suspended' && st.phase === 'succeeded')) {
        record(st, v.state);
      }
      switch (t.effect.kind) {
        case 'suspend':
          v = { ...v, state: operate(v.state, 'resume', now) };
          break;
        case 'realize':
        case 'measure':
          break;
        case 'step-ended':
        case 'finish':
          ended = true;
          break;
      }
    }

    // Back into the simulation's copies.
    const s = v.state;
    if (v.component === undefined) {
      Object.assign(placement, s.placement);
      Object.assign(stable, s.stable);
      if (s.previousStable) previousStable = { ...s.previousStable };
      s.workflow.steps.forEach((st, k) => (statuses[k] = st));
    } else {
      if (name && s.placement[name]) placement[name] = s.placement[name];
      if (name && s.stable[name] !== undefined) stable[name] = s.stable[name];
      if (name && s.previousStable?.[name] !== undefined)
        (previousStable ??= {})[name] = s.previousStable[name];
      statuses[i] = s.workflow.steps[0] as StepStatus;
    }
    trafficChangedAt = s.trafficChangedAt;
    if (statuses[i]?.phase === 'failed' || s.workflow.phase === 'failed') {
      // The runner skips the steps after a failed one and ends the workflow with its message.
      for (let k = i + 1; k < statuses.length; k++) {
        if (statuses[k]?.phase === 'pending')
          statuses[k] = { ...(statuses[k] as StepStatus), phase: 'skipped' };
      }
      workflow = { ...s.workflow, steps: [] };
      return { steps, final: whole() };
    }
    const { resumeAt: _resumed, ...going } = workflow;
    workflow = { ...going, phase: 'running' };
  }
  // Every step is over: the runner itself says how the workflow ends.
  return { steps, final: next(whole(), now, { stepwise: true }).state };
}

/**
 * The placement of every component once each of `steps` has ended, in order: what `plan
 * --show-objects` renders. Each is a copy of the whole placement, made only when asked for.
 */
export function* placementsAfter(
  start: AppState,
  steps: readonly SimulatedStep[],
): Generator<Placement, void, undefined> {
  const running: Placement = { ...start.placement };
  for (const step of steps) {
    for (const change of step.changes) running[change.component] = change.after;
    yield { ...running };
  }
}

/** The state after `app` was applied and its whole workflow completed, starting from `previous`. */
export function settled(
  app: Application,
  namespace: string,
  previous: AppState | undefined,
  now: string,
): AppState {
  return simulate(begin(app, namespace, previous, now), now).final;
}
