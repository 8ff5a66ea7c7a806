import type { Application, Component, WeightedTarget, WorkflowStep } from '../appfile/types.js';
import { cumulativeTargets, lastBatch, trait, type ComponentPlacement } from '../compile/index.js';
import { runSteps, type AppState, type RolloutPair, type RunStepType } from './types.js';

/** What a step wants next: a new placement for one component, done, or a failure to report. */
export type StepMove =
  | { kind: 'move'; component: string; placement: ComponentPlacement; note: string }
  | { kind: 'done'; stable?: { component: string; revision: string } }
  | { kind: 'fail'; message: string };

/** The steps a workflow runs: the file's, or one `apply-component` step per component. */
export function plannedSteps(app: Application): { name: string; type: RunStepType }[] {
  if (app.workflow) return app.workflow.map((s) => ({ name: s.name, type: s.type }));
  return app.components.map((c) => ({ name: c.name, type: 'apply-component' as const }));
}

/** The component a canary step acts on: the one named, else the one with a rollout trait. */
export function stepComponent(app: Application, named: string | undefined): Component | undefined {
  if (named) return app.components.find((c) => c.name === named);
  return app.components.find((c) => trait(c, 'rollout')) ?? app.components[0];
}

export function liveRevisions(p: ComponentPlacement): string[] {
  return Object.keys(p.replicas ?? {}).sort(byRevisionNumber);
}

export function byRevisionNumber(a: string, b: string): number {
  const n = (s: string) => Number(/-v(\d+)$/.exec(s)?.[1] ?? 0);
  return n(a) - n(b) || a.localeCompare(b);
}

function sameTraffic(a: WeightedTarget[] | undefined, b: WeightedTarget[] | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function sameSet(a: string[] | undefined, b: string[]): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

const describe = (w: WeightedTarget[]) => w.map((t) => `${t.weight}% to ${t.revision}`).join(', ');

/**
 * Moves a component's traffic to `targets` in the order Istio needs (a route may only name a
 * subset the DestinationRule already has, README "The workflow"): add the subsets
 * first, then change the weights, then drop the subsets nothing routes to. One change per move,
 * so the shell applies and settles each before the next. Undefined when traffic is already there.
 */
function trafficMove(name: string, cur: ComponentPlacement, targets: WeightedTarget[]): StepMove | undefined {
  const wanted = targets.map((t) => t.revision);
  const have = cur.subsets ?? [];
  const union = [...have, ...wanted.filter((r) => !have.includes(r))];
  if (!sameSet(have, union)) {
    return {
      kind: 'move',
      component: name,
      placement: { ...cur, subsets: union },
      note: `add subsets ${wanted.filter((r) => !have.includes(r)).join(', ')} to DestinationRule ${name}`,
    };
  }
  if (!sameTraffic(cur.traffic, targets)) {
    return {
      kind: 'move',
      component: name,
      placement: { ...cur, traffic: targets.map((t) => ({ ...t })) },
      note: `route ${describe(targets)}`,
    };
  }
  if (!sameSet(have, wanted)) {
    return {
      kind: 'move',
      component: name,
      placement: { ...cur, subsets: wanted },
      note: `remove subsets ${have.filter((r) => !wanted.includes(r)).join(', ')} from DestinationRule ${name}`,
    };
  }
  return undefined;
}

function routesTo(cur: ComponentPlacement, revision: string): boolean {
  return (cur.traffic ?? []).some((t) => t.revision === revision && t.weight > 0);
}

/** Plain routing (no weights) keeps one subset per live revision. */
function withDefaultSubsets(p: ComponentPlacement): ComponentPlacement {
  if (p.traffic || p.subsets === undefined) return p;
  return { ...p, subsets: liveRevisions(p) };
}

function setReplicas(
  name: string,
  cur: ComponentPlacement,
  revision: string,
  n: number | undefined,
  note: string,
): StepMove {
  const replicas = { ...(cur.replicas ?? {}) };
  if (n === undefined) delete replicas[revision];
  else replicas[revision] = n;
  return { kind: 'move', component: name, placement: withDefaultSubsets({ ...cur, replicas }), note };
}

/**
 * The split after a batch that is not a step's last: the target's share of the pods, kept between
 * the weight it has now and the weight the step ends on, so a step never sends the target more
 * than it was approved for, nor takes any away on its way.
 */
function batchShare(
  cur: ComponentPlacement,
  S: string,
  T: string,
  share: number,
  final: WeightedTarget[] | undefined,
): WeightedTarget[] {
  const weightOf = (w: WeightedTarget[] | undefined, r: string) =>
    (w ?? []).filter((t) => t.revision === r).reduce((a, t) => a + t.weight, 0);
  const now = weightOf(cur.traffic, T);
  const end = final ? weightOf(final, T) : 100;
  const p = end >= now ? Math.min(Math.max(Math.round(share * 100), now), end) : end;
  if (p >= 100) return [{ revision: T, weight: 100 }];
  if (p <= 0) return [{ revision: S, weight: 100 }];
  return [
    { revision: S, weight: 100 - p },
    { revision: T, weight: p },
  ];
}

/** A rollout as its moves see it: where the component stands, from where to where it moves. */
interface Rollout {
  name: string;
  cur: ComponentPlacement;
  reps: Record<string, number>;
  /** The revision it moves to, and the one it moves from (absent once that one is gone). */
  T: string;
  S: string | undefined;
  total: number;
  /** The target's replicas after each batch, and the last batch this step goes to. */
  targets: number[];
  last: number;
  canary: boolean;
  /** The step's own weights, if it sets any. */
  traffic: WeightedTarget[] | undefined;
}

/**
 * The next move of a rollout: batch by batch from source to target, increase-first, up to batch
 * `partition`; then the step's traffic. Derived from where the placement stands, so re-running it
 * after a crash picks up exactly where it stopped. The moves, in the order they are considered:
 * left-overs of an interrupted rollout, pinning traffic before the canary has pods, the batches,
 * and the rewind of a restarted workflow.
 */
function rolloutMove(
  state: AppState,
  component: Component,
  partition: number | undefined,
  traffic: WeightedTarget[] | undefined,
): StepMove {
  const name = component.name;
  const rollout = trait(component, 'rollout');
  const canary = trait(component, 'canary-traffic');
  const cur = state.placement[name];
  const pair = state.rollouts[name];
  if (!rollout || !cur || !pair) return { kind: 'fail', message: `component ${name} has no rollout trait` };
  if (traffic && !canary)
    return { kind: 'fail', message: `component ${name} has no canary-traffic trait to route traffic with` };
  const T = pair.target;
  const reps = cur.replicas ?? {};
  const S =
    pair.source !== undefined && pair.source !== T && reps[pair.source] !== undefined
      ? pair.source
      : undefined;
  const targets = cumulativeTargets(rollout.properties);
  const r: Rollout = {
    name,
    cur,
    reps,
    T,
    S,
    total: rollout.properties.targetSize,
    targets,
    last: lastBatch(targets.length, partition),
    canary: canary !== undefined,
    traffic,
  };
  const first = leftOverMove(r);
  if (first) return first;
  if (!S) {
    if (reps[T] !== r.total) return setReplicas(name, cur, T, r.total, `scale ${T} to ${r.total}`);
  } else {
    const move = pinMove(r, S) ?? batchMove(r, S) ?? rewindMove(r, S);
    if (move) return move;
  }
  return (
    stepTrafficMove(r) ??
    (liveRevisions(cur).length === 1 && reps[T] === r.total
      ? { kind: 'done', stable: { component: name, revision: T } }
      : { kind: 'done' })
  );
}

/**
 * Revisions left over from an interrupted rollout: their heir grows to full size first (their
 * share of the load must land somewhere ready), then traffic leaves them, then they go.
 */
function leftOverMove({ name, cur, reps, T, S, total }: Rollout): StepMove | undefined {
  for (const orphan of liveRevisions(cur).filter((rev) => rev !== T && rev !== S)) {
    const heir = S ?? T;
    const serving = cur.traffic ? routesTo(cur, orphan) : (reps[orphan] ?? 0) > 0;
    if (serving && (reps[heir] ?? 0) < total) {
      return setReplicas(
        name,
        cur,
        heir,
        total,
        `scale ${heir} to ${total} before taking traffic from ${orphan}`,
      );
    }
    // Its route goes even at 0%: a route may not outlive the subset it names.
    if ((cur.traffic ?? []).some((t) => t.revision === orphan)) {
      const moved = new Map<string, number>();
      for (const t of cur.traffic ?? []) {
        const to = t.revision === orphan ? heir : t.revision;
        moved.set(to, (moved.get(to) ?? 0) + t.weight);
      }
      const targets = [...moved]
        .map(([revision, weight]) => ({ revision, weight }))
        .filter((t) => t.weight > 0);
      const move = trafficMove(name, cur, targets);
      if (move) return move;
    }
    if ((cur.subsets ?? []).includes(orphan) && cur.traffic) {
      return {
        kind: 'move',
        component: name,
        placement: { ...cur, subsets: (cur.subsets ?? []).filter((x) => x !== orphan) },
        note: `remove subset ${orphan}`,
      };
    }
    return setReplicas(name, cur, orphan, undefined, `remove ${orphan}, left over from an earlier rollout`);
  }
  return undefined;
}

/**
 * Routed through the whole Service, a new revision's pods would take a share of traffic as soon
 * as they exist: when the step sets weights, pin all of it to the source subset first.
 */
function pinMove({ name, cur, reps, T, canary, traffic }: Rollout, S: string): StepMove | undefined {
  if (canary && !cur.traffic && traffic && (reps[S] ?? 0) > 0 && !(reps[T] ?? 0)) {
    return trafficMove(name, cur, [{ revision: S, weight: 100 }]);
  }
  return undefined;
}

/** Batch by batch up to the step's last: the target grows, the weights move, then the source shrinks. */
function batchMove(r: Rollout, S: string): StepMove | undefined {
  const { name, cur, reps, T, total, targets, last, traffic } = r;
  // With weighted routes, the source's share moves before its pods go (never more traffic
  // than pods): the step's weights at its last batch, a share that follows the batch before.
  const weighted = r.canary && (cur.traffic !== undefined || traffic !== undefined);
  const final = traffic ?? (last === targets.length - 1 ? [{ revision: T, weight: 100 }] : undefined);
  for (let i = 0; i <= last; i++) {
    const goal = targets[i] as number;
    const batch = `batch ${i + 1} of ${targets.length}`;
    if ((reps[T] ?? 0) < goal) return setReplicas(name, cur, T, goal, `${batch}: scale ${T} to ${goal}`);
    const sourceGoal = total - goal;
    if ((reps[S] ?? 0) <= sourceGoal) continue;
    if (weighted) {
      const want = i === last && final ? final : batchShare(cur, S, T, goal / total, final);
      if (sourceGoal === 0 && want.some((t) => t.revision === S && t.weight > 0)) {
        return {
          kind: 'fail',
          message: `the last batch leaves ${S} with no replicas, but the step still routes traffic to it`,
        };
      }
      const kept = sourceGoal === 0 ? want.filter((t) => t.revision !== S) : want;
      const move = trafficMove(name, cur, kept);
      if (move) return move;
    }
    if (sourceGoal === 0) {
      if (cur.subsets?.includes(S) && cur.traffic) {
        return {
          kind: 'move',
          component: name,
          placement: { ...cur, subsets: cur.subsets.filter((x) => x !== S) },
          note: `remove subset ${S}`,
        };
      }
      return setReplicas(name, cur, S, undefined, `${batch}: remove ${S}`);
    }
    return setReplicas(name, cur, S, sourceGoal, `${batch}: scale ${S} down to ${sourceGoal}`);
  }
  return undefined;
}

/**
 * Run again from an earlier step (`workflow restart`), the new revision can be past this step's
 * batch: the old one grows back and is ready first, the weights follow (the step's own, or the
 * pods' share when it names none), then the new one shrinks, so neither is ever left with more
 * traffic than pods.
 */
function rewindMove(r: Rollout, S: string): StepMove | undefined {
  const { name, cur, reps, T, total, targets, last, traffic } = r;
  const held = targets[last] as number;
  if ((reps[T] ?? 0) <= held) return undefined;
  if ((reps[S] ?? 0) < total - held) {
    return setReplicas(
      name,
      cur,
      S,
      total - held,
      `back to batch ${last + 1}: scale ${S} up to ${total - held}`,
    );
  }
  const routed = stepTrafficMove(r);
  if (routed) return routed;
  // Weighted, and the step names none: the route follows the pods back before they go.
  if (r.canary && cur.traffic && !traffic) {
    const p = Math.round((100 * held) / total);
    const move = trafficMove(
      name,
      cur,
      p <= 0
        ? [{ revision: S, weight: 100 }]
        : [
            { revision: S, weight: 100 - p },
            { revision: T, weight: p },
          ],
    );
    if (move) return move;
  }
  return setReplicas(name, cur, T, held, `back to batch ${last + 1}: scale ${T} down to ${held}`);
}

/** The step's own weights, once its batches are done; never to a revision without replicas. */
function stepTrafficMove({ name, cur, reps, traffic }: Rollout): StepMove | undefined {
  if (!traffic) return undefined;
  for (const t of traffic) {
    if (t.weight > 0 && !(reps[t.revision] ?? 0)) {
      const known = liveRevisions(cur).join(', ') || 'none';
      return {
        kind: 'fail',
        message: `cannot route ${t.weight}% to ${t.revision}: it has no replicas (live revisions: ${known})`,
      };
    }
  }
  // A 0% route to a revision that is gone would leave a route and a subset pointing at nothing.
  return trafficMove(
    name,
    cur,
    traffic.filter((t) => t.weight > 0 || (reps[t.revision] ?? 0) > 0),
  );
}

/**
 * The revision a rollback goes to: the one named, else the one that served before this rollout,
 * else (the rollout is finished) the stable revision before the current one.
 */
export function rollbackTarget(
  state: AppState,
  component: string,
  version: string | undefined,
): string | undefined {
  if (version) return version;
  const pair = state.rollouts[component];
  if (pair?.source && pair.source !== pair.target) return pair.source;
  const stable = state.stable[component];
  if (stable && pair && stable !== pair.target) return stable;
  return state.previousStable?.[component];
}

/**
 * The Deployments whose readiness gates the next move: every plain component, and for each
 * rollout component the revision it moves to (its source too, but only while the source grows);
 * during a rollback only the revision it puts back. A revision being drained or removed (a
 * left-over one, or the canary a rollback leaves) never gates anything, so a canary that will
 * never be ready can still be rolled back or replaced.
 */
export function readinessGates(state: AppState): string[] {
  const index = state.workflow.steps.findIndex((st) => st.phase !== 'succeeded' && st.phase !== 'skipped');
  const spec = index >= 0 ? (runSteps(state) ?? [])[index] : undefined;
  const rollingBack =
    spec?.type === 'canary-rollback' ? stepComponent(state.app, spec.properties.component)?.name : undefined;
  const gates: string[] = [];
  for (const component of state.app.components) {
    const at = state.placement[component.name];
    // A rollback waits only for the revision it puts back: nothing else broken (another
    // component's canary, a plain component that never gets ready) may hold it up.
    if (rollingBack !== undefined && component.name !== rollingBack) continue;
    if (!trait(component, 'rollout')) {
      gates.push(component.name);
      continue;
    }
    const rollingThis = component.name === rollingBack && spec?.type === 'canary-rollback';
    const goal = rollingThis
      ? rollbackTarget(state, component.name, spec.properties.rollbackVersion)
      : (state.rollouts[component.name]?.target ?? at?.revision);
    if (goal && (at?.replicas?.[goal] ?? 0) > 0) gates.push(goal);
    // The source is waited on only while it grows: taking over a left-over revision's load, or
    // getting pods back when a restarted workflow rewinds. A source that went bad never blocks a
    // rollout away from it.
    const pair = state.rollouts[component.name];
    const source = rollingThis ? undefined : pair?.source;
    if (source && source !== goal && (at?.replicas?.[source] ?? 0) > 0) {
      const leftOver = (at ? liveRevisions(at) : []).some((r) => r !== source && r !== pair?.target);
      const moving =
        spec === undefined ||
        (spec.type === 'canary-rollout' &&
          stepComponent(state.app, spec.properties.component)?.name === component.name);
      const held = moving ? heldBatch(component, spec) : undefined;
      const rewinding = held !== undefined && (at?.replicas?.[pair?.target ?? ''] ?? 0) > held;
      if (leftOver || rewinding) gates.push(source);
    }
  }
  return gates;
}

/** The target's size once the running step's batches are done (its batchPartition's batch). */
function heldBatch(component: Component, spec: WorkflowStep | undefined): number | undefined {
  const rollout = trait(component, 'rollout');
  if (!rollout) return undefined;
  const targets = cumulativeTargets(rollout.properties);
  const partition =
    (spec?.type === 'canary-rollout' ? spec.properties.batchPartition : undefined) ??
    rollout.properties.batchPartition;
  return targets[lastBatch(targets.length, partition)];
}

/**
 * Rollback (README "The workflow"): the revision grows back to targetSize (and is waited on)
 * before it takes all the traffic, so it never carries more than its ready pods can, as Argo
 * Rollouts checks the stable's availability before it moves weight; then the other revisions go.
 * Only when the canary has no ready pod at all (`drainFirst`) does traffic leave it at once, onto
 * the revision's pods that still run; traffic never goes to a subset with no pods.
 */
export function rollbackMove(
  state: AppState,
  component: Component,
  version: string | undefined,
  /** Whether `drainFirst` applies: to the rollbacks vela-ts starts itself (rollback, a failed gate). */
  ours = state.override !== undefined,
): StepMove {
  const name = component.name;
  const rollout = trait(component, 'rollout');
  const canary = trait(component, 'canary-traffic');
  const cur = state.placement[name];
  if (!rollout || !cur) return { kind: 'fail', message: `component ${name} has no rollout trait` };
  const R = rollbackTarget(state, name, version);
  if (!R) return { kind: 'fail', message: `${name} has no earlier revision to roll back to` };
  if (!(state.revisions[name] ?? []).some((r) => r.name === R)) {
    const known = (state.revisions[name] ?? []).map((r) => r.name).join(', ') || 'none';
    return {
      kind: 'fail',
      message: `cannot roll back to ${R}: no such revision of ${name} (known: ${known})`,
    };
  }
  const total = rollout.properties.targetSize;
  const reps = cur.replicas ?? {};
  if (!(reps[R] ?? 0))
    return setReplicas(name, cur, R, total, `scale ${R} to ${total} before moving traffic back`);
  const drain = canary && ours && (state.drainFirst ?? []).includes(name);
  if (drain) {
    const move = trafficMove(name, cur, [{ revision: R, weight: 100 }]);
    if (move) return move;
  }
  if (reps[R] !== total)
    return setReplicas(name, cur, R, total, `scale ${R} back to ${total} before it takes all the traffic`);
  if (canary) {
    const move = trafficMove(name, cur, [{ revision: R, weight: 100 }]);
    if (move) return move;
  }
  for (const other of liveRevisions(cur).filter((r) => r !== R)) {
    return setReplicas(name, cur, other, undefined, `remove ${other}`);
  }
  return { kind: 'done', stable: { component: name, revision: R } };
}

/** vela-ts's names for the two ends of a rollout, usable in weightedTargets instead of revision names. */
export const STABLE = 'stable';
export const CANARY = 'canary';

/**
 * Weights with `stable`/`canary` resolved to the revisions this rollout moves from and to (as
 * Argo Rollouts' setWeight implies them). With nothing to move from, both are the one revision
 * there is, and their weights add up. Explicit revision names pass through unchanged.
 */
export function resolveTargets(targets: readonly WeightedTarget[], pair: RolloutPair): WeightedTarget[] {
  const name = (r: string) => (r === STABLE ? (pair.source ?? pair.target) : r === CANARY ? pair.target : r);
  const merged = new Map<string, number>();
  for (const t of targets) merged.set(name(t.revision), (merged.get(name(t.revision)) ?? 0) + t.weight);
  return [...merged].map(([revision, weight]) => ({ revision, weight }));
}

/** The move of one workflow step (suspend is handled by the runner). */
export function stepMove(state: AppState, index: number): StepMove {
  const app = state.app;
  const planned = state.workflow.steps[index];
  if (!planned) return { kind: 'done' };
  if (planned.type === 'apply-component') {
    const component = app.components.find((c) => c.name === planned.name);
    if (!component || !trait(component, 'rollout')) return { kind: 'done' };
    return rolloutMove(state, component, trait(component, 'rollout')?.properties.batchPartition, undefined);
  }
  const step = (runSteps(state) ?? [])[index] as WorkflowStep;
  switch (step.type) {
    case 'canary-rollout': {
      const component = stepComponent(app, step.properties.component);
      if (!component)
        return { kind: 'fail', message: `no component ${step.properties.component ?? ''} to roll out` };
      const partition =
        step.properties.batchPartition ?? trait(component, 'rollout')?.properties.batchPartition;
      const pair = state.rollouts[component.name];
      const weights = step.properties.traffic?.weightedTargets;
      return rolloutMove(
        state,
        component,
        partition,
        weights && pair ? resolveTargets(weights, pair) : weights,
      );
    }
    case 'canary-rollback': {
      const component = stepComponent(app, step.properties.component);
      if (!component)
        return { kind: 'fail', message: `no component ${step.properties.component ?? ''} to roll back` };
      return rollbackMove(state, component, step.properties.rollbackVersion);
    }
    case 'suspend':
    case 'check-metrics': // both handled by the runner
      return { kind: 'done' };
  }
}
