import type { Application } from '../appfile/types.js';
import { begin, next, operate, passGate } from './run.js';
import { gatePlan } from './metrics.js';
import { runSteps, type AppState, type StepStatus } from './types.js';

export interface SimulatedStep {
  index: number;
  name: string;
  type: StepStatus['type'];
  phase: StepStatus['phase'];
  message?: string;
  /** Each move the step made, in order (e.g. `batch 1 of 2: scale reviews-v2 to 1`). */
  moves: string[];
  /** The state as it stands once the step has finished (or suspended, or failed). */
  state: AppState;
}

/**
 * Runs a workflow in memory with the same `next` the shell runs against a cluster, as if every
 * object became ready at once, every suspend were approved and every metric gate passed. This is `plan`.
 */
export function simulate(start: AppState, now: string): { steps: SimulatedStep[]; final: AppState } {
  let s = start;
  const steps: SimulatedStep[] = [];
  const moves = new Map<number, string[]>();
  for (let guard = 0; guard < 10_000; guard++) {
    const before = s.workflow.steps;
    const t = next(s, now, { stepwise: true });
    s = t.state;
    if (t.effect.kind === 'realize') {
      moves.set(t.step, [...(moves.get(t.step) ?? []), t.effect.note]);
    }
    if (t.effect.kind === 'measure') {
      const spec = (runSteps(s) ?? [])[t.step];
      const notes = spec?.type === 'check-metrics' ? gatePlan(t.effect.gate, spec.properties) : [];
      moves.set(t.step, [...(moves.get(t.step) ?? []), ...notes]);
      s = passGate(s, t.step);
    }
    s.workflow.steps.forEach((st, i) => {
      const was = before[i]?.phase;
      const settled = st.phase === 'succeeded' || st.phase === 'suspended' || st.phase === 'failed';
      if (settled && was !== st.phase && !(was === 'suspended' && st.phase === 'succeeded')) {
        steps.push({
          index: i,
          name: st.name,
          type: st.type,
          phase: st.phase,
          ...(st.message ? { message: st.message } : {}),
          moves: moves.get(i) ?? [],
          state: s,
        });
      }
    });
    if (t.effect.kind === 'suspend') {
      s = operate(s, 'resume', now);
      continue;
    }
    if (t.effect.kind === 'finish') return { steps, final: s };
  }
  throw new Error('simulation did not finish');
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
