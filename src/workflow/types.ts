import type { Application, StepType, WeightedTarget, WorkflowStep } from '../appfile/types.js';
import type { Placement, RevisionHistory } from '../compile/index.js';
import type { MetricGate } from './metrics.js';

export type WorkflowPhase = 'running' | 'suspended' | 'succeeded' | 'failed' | 'terminated';
export type StepPhase = 'pending' | 'running' | 'suspended' | 'succeeded' | 'failed' | 'skipped';
/** `apply-component` is the implicit step per component of a file without spec.workflow (as KubeVela). */
export type RunStepType = StepType | 'apply-component';

export interface StepStatus {
  name: string;
  type: RunStepType;
  phase: StepPhase;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  /** A check-metrics step's measurements and verdict. */
  metrics?: MetricGate;
}

/** A rollout in progress: from the revision that served before it to the one the spec wants. */
export interface RolloutPair {
  source?: string;
  target: string;
}

export interface WorkflowStatus {
  phase: WorkflowPhase;
  steps: StepStatus[];
  message?: string;
  /** ISO time a suspend step with a duration resumes by itself. */
  resumeAt?: string;
  startedAt: string;
  finishedAt?: string;
}

/**
 * Everything vela-ts knows about one application, persisted in the cluster after every move so
 * another machine can continue. The workflow functions are pure over this value.
 */
export interface AppState {
  app: Application;
  namespace: string;
  /** Hash of the applied spec: an unchanged spec changes nothing. */
  specHash: string;
  revisions: RevisionHistory;
  /** Each component's current revision, as the spec renders it. */
  current: Record<string, string>;
  placement: Placement;
  /** Per rollout component: the last revision that served all traffic and replicas alone. */
  stable: Record<string, string>;
  /** Per rollout component: the stable revision before the current one (what a rollback after a finished rollout goes back to). */
  previousStable?: Record<string, string>;
  /** When a move last changed a route or a subset: the mesh gets time to catch up after it. */
  trafficChangedAt?: string;
  rollouts: Record<string, RolloutPair>;
  workflow: WorkflowStatus;
  /**
   * The steps being run when they are not the spec's own: `rollback` runs a single
   * canary-rollback step without changing the spec, so `workflow restart` still runs the spec's.
   */
  override?: WorkflowStep[];
  /**
   * Components whose canary had no ready pod when their rollback began (the shell looked): their
   * traffic leaves the canary at once, before the stable revision has grown back, since the
   * canary serves nothing anyway. Every other rollback grows the stable revision first.
   */
  drainFirst?: string[];
}

/** What the shell must do after a transition. */
export type Effect =
  /** Persist, apply the placement's objects, wait until they are ready, then call `next` again. */
  | { kind: 'realize'; note: string }
  /** Persist and stop: the workflow waits for approval (or until `resumeAt`). */
  | { kind: 'suspend'; message?: string; resumeAt?: string }
  /** Persist and stop: the workflow is over (succeeded, failed or terminated). */
  | { kind: 'finish' }
  /** A step has just succeeded; call `next` again. Only when asked for (`stepwise`). */
  | { kind: 'step-ended' }
  /**
   * Persist, then at `at` (at once when absent) run the gate's query and record the reading with
   * `recordReading`; then call `next` again.
   */
  | { kind: 'measure'; gate: MetricGate; at?: string };

export interface Transition {
  state: AppState;
  effect: Effect;
  /** The step the transition belongs to (index into workflow.steps), -1 when none. */
  step: number;
}

export type { WeightedTarget };

/** The step definitions the workflow runs. */
export function runSteps(state: Pick<AppState, 'app' | 'override'>): WorkflowStep[] | undefined {
  return state.override ?? state.app.workflow;
}
