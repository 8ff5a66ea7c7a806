/**
 * Typed errors carry where and why; `src/cli/errors.ts` is the one place that turns them into a
 * message and an exit code. Nothing below `cli/` prints or exits.
 */

/** One problem in an input file, located by file, line and YAML path. */
export interface Issue {
  file: string;
  /** 1-based; 0 when the problem has no single line (e.g. a missing top-level field). */
  line: number;
  column: number;
  /** YAML path such as `spec.components[0].traits[1].properties.port`; empty for syntax errors. */
  path: string;
  message: string;
}

export function formatIssue(issue: Issue): string {
  const where =
    issue.line > 0 ? `${issue.file}:${issue.line}${issue.column > 0 ? `:${issue.column}` : ''}` : issue.file;
  return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** Invalid input: exit code 2, nothing reaches the cluster. */
export class InputError extends Error {
  readonly issues: readonly Issue[];
  constructor(issues: readonly Issue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'InputError';
    this.issues = issues;
  }
}

/** Wrong flags or arguments: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The cluster refused or could not be reached; the message is already in the user's words. Exit 1. */
/** A ClusterError's reason when the cluster has no such kind at all (404 from discovery or the API). */
export const KIND_NOT_SERVED = 'KindNotServed';

export class ClusterError extends Error {
  override name = 'ClusterError';
  /** HTTP status when the API server answered; 0 when it could not be reached. */
  readonly status: number;
  readonly reason: string;
  constructor(message: string, status = 0, reason = '') {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

/** The workflow ended in `failed` (a step could not finish). Exit 1. */
export class WorkflowError extends Error {
  override name = 'WorkflowError';
}

/** Another vela-ts process drives the app. Exit 1. */
export class LockedError extends Error {
  override name = 'LockedError';
}

export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
