import { createInterface } from 'node:readline';
import { resume, rollback, status, type Outcome, type UpResult } from '../engine/index.js';
import { assertNever, WorkflowError } from '../errors.js';
import type { IO } from './io.js';
import type { Session } from './session.js';
import { statusTable } from './status-table.js';
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK } from './errors.js';

export interface GateOptions {
  /** --yes: continue through every suspend. */
  yes: boolean;
  /** --no-prompt, or no terminal: leave the workflow suspended and exit 0. */
  prompt: boolean;
  /** How this command reached the cluster (`--sandbox`, `--kubeconfig F`, `--context C`), repeated in the hints. */
  connection: string;
}

/** The connection flags a printed hint must repeat to reach the same cluster. */
export function connectionFlags(globals: {
  sandbox: boolean;
  kubeconfig?: string;
  context?: string;
}): string {
  const flags: string[] = [];
  if (globals.sandbox) flags.push('--sandbox');
  if (globals.kubeconfig) flags.push(`--kubeconfig ${shellQuote(globals.kubeconfig)}`);
  if (globals.context) flags.push(`--context ${shellQuote(globals.context)}`);
  return flags.map((f) => ` ${f}`).join('');
}

/** A word as a POSIX shell reads it back: quoted only when it needs to be. */
function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

const PHASE_WORDS: Record<string, string> = {
  running: 'is running',
  suspended: 'is suspended',
  succeeded: 'has succeeded',
  failed: 'has failed',
  terminated: 'was terminated',
};

export function canPrompt(io: IO, noPrompt: boolean): boolean {
  return !noPrompt && Boolean(io.stdin.isTTY) && Boolean(io.stdout.isTTY);
}

type Answer = 'continue' | 'rollback' | 'quit' | 'interrupt';

/** Asks until the answer is one it knows; Enter means quit, Ctrl-C interrupts. */
async function ask(io: IO, question: string): Promise<Answer> {
  const rl = createInterface({ input: io.stdin, output: io.stdout, terminal: true });
  try {
    for (;;) {
      const answer = await new Promise<string>((resolve) => {
        rl.question(question, (a) => resolve(a.trim().toLowerCase()));
        rl.once('SIGINT', () => resolve('\u0003'));
        rl.once('close', () => resolve(''));
      });
      if (answer === '\u0003') return 'interrupt';
      if (answer === 'c' || answer === 'continue') return 'continue';
      if (answer === 'r' || answer === 'rollback') return 'rollback';
      if (answer === '' || answer === 'q' || answer === 'quit') return 'quit';
      io.stdout.write(`"${answer}" is not one of c, r or q.\n`);
    }
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
    const target = `${app} -n ${ns}${gate.connection}`;
    const resumeCmd = `vela-ts workflow resume ${target}`;
    const phase = PHASE_WORDS[state.workflow.phase] ?? state.workflow.phase;
    switch (outcome.kind) {
      case 'unchanged': {
        // Waiting for approval: `--yes` gives it, and a terminal asks for it, as on the first run.
        // Only an approval gate (a suspend step with no timer), never a person's `workflow suspend`.
        const atGate =
          state.workflow.phase === 'suspended' &&
          !state.workflow.resumeAt &&
          state.workflow.steps.some((st) => st.type === 'suspend' && st.phase === 'suspended');
        const approving = atGate && (gate.yes || gate.prompt);
        if (outcome.repaired?.length)
          out(`${app} is unchanged, but the cluster had drifted: re-applied ${outcome.repaired.join(', ')}.`);
        else if (approving) out(`${app} is unchanged and its workflow ${phase}.`);
        else out(`${app} is unchanged and its workflow ${phase}. Nothing was written.`);
        if (approving) {
          outcome = { kind: 'suspended', state };
          continue;
        }
        if (state.workflow.phase === 'suspended') out(`Continue with: ${resumeCmd}`);
        if (state.override)
          out(`It was rolled back; run its workflow again with: vela-ts workflow restart ${target}`);
        return state.workflow.phase === 'failed' ? EXIT_FAILED : EXIT_OK;
      }
      case 'succeeded':
        out(`${app}: workflow succeeded.`);
        return EXIT_OK;
      case 'failed':
        // A rollback that failed is not undone by another: say what to look at instead.
        if (state.override)
          throw new WorkflowError(
            `${app}: ${outcome.message}\nThe rollback did not finish. See what blocks it with: vela-ts status ${target}\nthen run the rollback again: vela-ts rollback ${target}`,
          );
        throw new WorkflowError(
          `${app}: ${outcome.message}\nRoll back with: vela-ts rollback ${target}\nor fix the file and run up again (or: vela-ts workflow restart ${target})`,
        );
      case 'terminated':
        out(`${app}: workflow terminated.`);
        return EXIT_OK;
      case 'stopped':
        out(`${app}: another command changed the workflow while this one drove it; it ${phase} now.`);
        return state.workflow.phase === 'failed' ? EXIT_FAILED : EXIT_OK;
      case 'suspended': {
        const step = state.workflow.steps.find((s) => s.phase === 'suspended');
        const where = step
          ? `at step ${step.name}`
          : `by request during step ${state.workflow.steps.find((s) => s.phase === 'running')?.name ?? '?'}`;
        const why = outcome.message ? `: ${outcome.message}` : '';
        if (gate.yes) {
          out(`${app}: suspended ${where}${why}; continuing (--yes).`);
          outcome = await resume(session.ctx, ns, app);
          continue;
        }
        out(statusTable(await status(session.ctx, ns, app)));
        if (!gate.prompt) {
          out(`${app}: suspended ${where}${why}, waiting for approval.`);
          out(`Continue with: ${resumeCmd}`);
          out(`Roll back with: vela-ts rollback ${target}`);
          return EXIT_OK;
        }
        out(`${app} is suspended ${where}${why}.`);
        const answer = await ask(io, 'Continue (c), roll back (r), or leave it suspended and quit (q) [q]: ');
        if (answer === 'continue') {
          outcome = await resume(session.ctx, ns, app);
          continue;
        }
        if (answer === 'rollback') {
          outcome = await rollback(session.ctx, ns, app);
          continue;
        }
        out(`${answer === 'interrupt' ? '\nInterrupted. ' : ''}Left suspended. Continue with: ${resumeCmd}`);
        return answer === 'interrupt' ? EXIT_INTERRUPTED : EXIT_OK;
      }
      default:
        // A new outcome must be reported here, not loop forever.
        return assertNever(outcome, 'outcome');
    }
  }
}
