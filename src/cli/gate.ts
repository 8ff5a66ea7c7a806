import {
  appWritten,
  readApp,
  resume,
  rollback,
  StaleView,
  status,
  type Outcome,
  type Stored,
  type UpResult,
} from '../engine/index.js';
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

type Answer = 'continue' | 'rollback' | 'quit' | 'interrupt' | 'stale';

/**
 * Asks until the answer is one it knows; Enter means quit, Ctrl-C interrupts. When `stale`
 * settles first (the workflow changed under the prompt), it stops asking and answers 'stale'.
 */
async function ask(io: IO, question: string, stale: Promise<unknown>): Promise<Answer> {
  // Only a person at a terminal is asked: the commands that read the gate need no readline.
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: io.stdin, output: io.stdout, terminal: true });
  let gone = false;
  const left = stale.then(() => {
    gone = true;
    return '\u0000';
  });
  try {
    for (;;) {
      const answer = await Promise.race([
        left,
        new Promise<string>((resolve) => {
          rl.question(question, (a) => resolve(a.trim().toLowerCase()));
          rl.once('SIGINT', () => resolve('\u0003'));
          rl.once('close', () => resolve(''));
        }),
      ]);
      if (gone) return 'stale';
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

/** What someone else did to the workflow since `before` was shown, in a sentence, and by whom when known. */
async function whatHappened(session: Session, ns: string, app: string, before: Stored): Promise<string> {
  let now: Stored;
  try {
    now = await readApp(session.ctx, ns, app);
  } catch {
    return 'its state was deleted';
  }
  const s = now.state;
  const driver = s.workflow.phase === 'running' ? (await status(session.ctx, ns, app)).driver : undefined;
  const by = driver ? ` by ${driver}` : '';
  const revisions = Object.values(s.rollouts)
    .map((p) => p.target)
    .join(', ');
  // A new spec first records the old workflow as terminated, saying why: that is what a watch sees first.
  const newSpec =
    s.specHash !== before.state.specHash || s.workflow.message === 'terminated: a new spec was applied';
  if (newSpec)
    return `a new spec was applied${s.specHash !== before.state.specHash && revisions ? ` (${revisions})` : ''}${by}`;
  if (s.override && !before.state.override) return `it was rolled back${by}`;
  const words: Record<string, string> = {
    running: 'it was resumed',
    succeeded: 'it was resumed and has finished',
    terminated: 'it was terminated',
    failed: 'it has failed',
    suspended: 'it was suspended',
  };
  return `${words[s.workflow.phase] ?? `it ${PHASE_WORDS[s.workflow.phase] ?? s.workflow.phase} now`}${by}`;
}

/** `rolled back reviews to reviews-v1 (100%)`, one clause per component the rollback put back. */
function rolledBack(state: Outcome['state']): string {
  const parts = (state.override ?? []).map((step) => {
    const component = (step.properties as { component?: string } | undefined)?.component ?? '';
    // Where it stands now: the revision its traffic goes to, else the one that runs.
    const at = state.placement[component];
    const route = [...(at?.traffic ?? [])].sort((a, b) => b.weight - a.weight)[0];
    const revision = route?.revision ?? Object.keys(at?.replicas ?? {})[0] ?? '';
    return `${component} to ${revision}${route ? ` (${route.weight}%)` : ''}`;
  });
  return `rolled back ${parts.join(', ')}`;
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
        // A rollback's success is not the release's: say what was put back, so a CI log cannot
        // read it as the canary going through.
        out(state.override ? `${app}: ${rolledBack(state)}.` : `${app}: workflow succeeded.`);
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
      case 'stopped': {
        out(`${app}: another command changed the workflow while this one drove it; it ${phase} now.`);
        // 0 only where this command was asked to bring it: at an approval gate, or released (or
        // on its way there under another driver). Terminated, rolled back, failed, or suspended by
        // a person mid-run: 1, so a CI job cannot read it as a release.
        const wf = state.workflow;
        const atGate =
          wf.phase === 'suspended' &&
          wf.steps.some((st) => st.type === 'suspend' && st.phase === 'suspended');
        const released = wf.phase === 'succeeded' && !state.override;
        return atGate || released || wf.phase === 'running' ? EXIT_OK : EXIT_FAILED;
      }
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
        // What the person is shown is bound to this version of the state: an answer given on it
        // acts only if nothing changed meanwhile.
        const shown = gate.prompt ? await readApp(session.ctx, ns, app) : undefined;
        out(statusTable(await status(session.ctx, ns, app)));
        if (!shown) {
          out(`${app}: suspended ${where}${why}, waiting for approval.`);
          out(`Continue with: ${resumeCmd}`);
          out(`Roll back with: vela-ts rollback ${target}`);
          return EXIT_OK;
        }
        out(`${app} is suspended ${where}${why}.`);
        const watching = new AbortController();
        const changed = appWritten(session.ctx, ns, app, shown.resourceVersion, watching.signal);
        let answer: Answer;
        try {
          answer = await ask(
            io,
            'Continue (c), roll back (r), or leave it suspended and quit (q) [q]: ',
            changed,
          );
        } finally {
          watching.abort();
        }
        const left = async (lead: string) => {
          out(
            `${lead}${app}: the workflow changed while this prompt was open: ${await whatHappened(session, ns, app, shown)}. Nothing was done here.`,
          );
          return EXIT_OK;
        };
        if (answer === 'stale') return left('\n');
        const bound = { expect: shown.resourceVersion };
        try {
          if (answer === 'continue') {
            outcome = await resume(session.ctx, ns, app, bound);
            continue;
          }
          if (answer === 'rollback') {
            outcome = await rollback(session.ctx, ns, app, undefined, bound);
            continue;
          }
        } catch (err) {
          // Changed between the key and the lock: the answer was given on a view that is gone.
          if (err instanceof StaleView) return left('');
          throw err;
        }
        // Ctrl-C or q: say where the workflow truly stands, which may no longer be this gate.
        const still = (await readApp(session.ctx, ns, app)).resourceVersion === shown.resourceVersion;
        if (!still)
          return answer === 'interrupt' ? left('\nInterrupted. ').then(() => EXIT_INTERRUPTED) : left('');
        out(`${answer === 'interrupt' ? '\nInterrupted. ' : ''}Left suspended. Continue with: ${resumeCmd}`);
        return answer === 'interrupt' ? EXIT_INTERRUPTED : EXIT_OK;
      }
      default:
        // A new outcome must be reported here, not loop forever.
        return assertNever(outcome, 'outcome');
    }
  }
}
