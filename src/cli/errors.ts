import { ClusterError, InputError, LockedError, UsageError, WorkflowError, formatIssue } from '../errors.js';
import { redact } from '../redact.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_INPUT = 2;
/** `diff` only: something would change (as `kubectl diff`). */
export const EXIT_DIFF_CHANGES = 1;
/** Ctrl-C at a prompt or mid-run (128 + SIGINT), as a shell reports it. */
export const EXIT_INTERRUPTED = 130;
/** SIGTERM mid-run (128 + 15). */
export const EXIT_TERMINATED = 143;
/** `diff` only: 1 there means "something would change", so its other failures exit 3 (as `kubectl diff`). */
export const EXIT_DIFF_ERROR = 3;

/**
 * A failure of `diff`, so a CI script can tell it from "changes". It is reported as the error it
 * wraps; only the exit code differs: 3 where another command would exit 1, bad input still 2.
 */
export class DiffFailed extends Error {
  override name = 'DiffFailed';
  constructor(readonly failure: unknown) {
    super(failure instanceof Error ? failure.message : String(failure));
  }
}

/**
 * The only place that turns an error into words and an exit code. Unknown errors are bugs: they
 * print one line (the stack only with --verbose), never a raw client exception with headers.
 */
export function handleError(err: unknown, write: (line: string) => void, verbose: boolean): number {
  if (err instanceof DiffFailed) {
    const code = handleError(err.failure, write, verbose);
    return code === EXIT_FAILED ? EXIT_DIFF_ERROR : code;
  }
  if (err instanceof InputError) {
    for (const issue of err.issues) write(redact(formatIssue(issue)));
    const n = err.issues.length;
    write(`${n} problem${n === 1 ? '' : 's'} found; nothing was sent to the cluster.`);
    return EXIT_INPUT;
  }
  if (err instanceof UsageError) {
    write(`error: ${redact(err.message)}`);
    return EXIT_INPUT;
  }
  // A kubeconfig or context that does not work is the user's input, not the cluster refusing.
  if (err instanceof ClusterError && ['NoKubeconfig', 'NoContext', 'BadKubeconfig'].includes(err.reason)) {
    write(`error: ${redact(err.message)}`);
    return EXIT_INPUT;
  }
  if (err instanceof ClusterError || err instanceof WorkflowError || err instanceof LockedError) {
    write(`error: ${redact(err.message)}`);
    return EXIT_FAILED;
  }
  const message = err instanceof Error ? err.message : String(err);
  write(`error: ${redact(message)}`);
  if (verbose && err instanceof Error && err.stack) write(redact(err.stack));
  return EXIT_FAILED;
}
