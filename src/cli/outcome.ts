import { createInterface } from 'node:readline';
import { resume, rollback, status, type Outcome, type UpResult } from '../engine/index.js';
import { WorkflowError } from '../errors.js';
import type { IO } from './io.js';
import type { Session } from './session.js';
import { statusTable } from './summary.js';

export interface GateOptions {
  /** --yes: continue through every suspend. */
  yes: boolean;
  /** --no-prompt, or no terminal: leave the workflow suspended and exit 0. */
  prompt: boolean;
  namespaceFlag: string;
}

export function canPrompt(io: IO, noPrompt: boolean): boolean {
  return !noPrompt && Boolean(io.stdin.isTTY) && Boolean(io.stdout.isTTY);
}

async function ask(io: IO, question: string): Promise<string> {
  const rl = createInterface({ input: io.stdin, output: io.stdout, terminal: true });
  try {
    return await new Promise<string>((resolve) => {
      rl.question(question, (answer) => resolve(answer.trim().toLowerCase()));
      rl.once('close', () => resolve('q'));
    });
  } finally {
    rl.close();
  }
}

/**
 * Turns what the engine did into words and an exit code, and runs the approval gate: at a
 * suspend, continue (`c`), roll back (`r`) or leave it suspended (`q`, Enter).
 */
export async function settleOutcome(
  first: UpResult | Outcome,
  session: Session,
  io: IO,
  gate: GateOptions,
): Promise<number> {
  let outcome = first;
  const out = (s: string) => io.stdout.write(`${s}\n`);
  for (;;) {
    const state = outcome.state;
    const app = state.app.name;
    const ns = state.namespace;
    const resumeCmd = `vela-ts workflow resume ${app} -n ${ns}`;
    switch (outcome.kind) {
      case 'unchanged':
        out(`${app} is unchanged; its workflow is ${state.workflow.phase}. Nothing was written.`);
        if (state.workflow.phase === 'suspended') out(`Continue with: ${resumeCmd}`);
        if (state.override)
          out(`It was rolled back; run its workflow again with: vela-ts workflow restart ${app} -n ${ns}`);
        return state.workflow.phase === 'failed' ? 1 : 0;
      case 'succeeded':
        out(`${app}: workflow succeeded.`);
        return 0;
      case 'failed':
        throw new WorkflowError(`${app}: ${outcome.message}`);
      case 'terminated':
        out(`${app}: workflow terminated.`);
        return 0;
      case 'stopped':
        out(
          `${app}: another command changed the workflow while this one drove it; it is now ${state.workflow.phase}.`,
        );
        return state.workflow.phase === 'failed' ? 1 : 0;
      case 'suspended': {
        const step = state.workflow.steps.find((s) => s.phase === 'suspended');
        const why = outcome.message ? `: ${outcome.message}` : '';
        if (gate.yes) {
          out(`${app}: suspended at ${step?.name ?? 'a suspend step'}${why}; continuing (--yes).`);
          outcome = await resume(session.ctx, ns, app);
          continue;
        }
        const report = await status(session.ctx, ns, app);
        if (!gate.prompt) {
          out(statusTable(report));
          out(`${app}: suspended at step ${step?.name ?? '?'}${why}, waiting for approval.`);
          out(`Continue with: ${resumeCmd}`);
          out(`Roll back with: vela-ts rollback ${app} -n ${ns}`);
          return 0;
        }
        out(statusTable(report));
        out(`${app} is suspended at step ${step?.name ?? '?'}${why}.`);
        const answer = await ask(io, 'Continue (c), roll back (r), or leave it suspended and quit (q) [q]: ');
        if (answer === 'c' || answer === 'continue') {
          outcome = await resume(session.ctx, ns, app);
          continue;
        }
        if (answer === 'r' || answer === 'rollback') {
          outcome = await rollback(session.ctx, ns, app);
          continue;
        }
        out(`Left suspended. Continue with: ${resumeCmd}`);
        return 0;
      }
    }
  }
}
