/**
 * What the choices at an approval gate would do, from the same workflow core `up` runs and `plan`
 * simulates: `c` resumes (the moves up to the next gate or the end), `r` rolls back. Pure.
 */
import { OperationRefused, operate, startRollback } from './run.js';
import { simulate } from './simulate.js';
import type { AppState } from './types.js';

export interface GatePreview {
  /** `c`: each step's moves, as `step: move`, up to the next gate or the end. */
  continue: string[];
  /** `r`: the rollback's moves; absent when there is nothing to roll back. */
  rollback?: string[];
}

export function gatePreview(state: AppState, now: string): GatePreview | undefined {
  const atGate = state.workflow.steps.findIndex((s) => s.type === 'suspend' && s.phase === 'suspended');
  if (state.workflow.phase !== 'suspended' || atGate < 0) return undefined;
  const after = simulate(operate(state, 'resume', now), now).steps;
  const cont: string[] = [];
  for (const st of after) {
    if (st.index <= atGate) continue;
    cont.push(...(st.moves.length > 0 ? st.moves : ['nothing to move']).map((m) => `${st.name}: ${m}`));
    if (st.phase === 'suspended' || st.phase === 'failed') break;
  }
  let rollback: string[] | undefined;
  try {
    rollback = simulate(startRollback(state, now), now).steps.flatMap((st) => st.moves);
  } catch (err) {
    if (!(err instanceof OperationRefused)) throw err;
  }
  return { continue: cont.length > 0 ? cont : ['the workflow ends'], ...(rollback ? { rollback } : {}) };
}
