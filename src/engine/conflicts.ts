import { ClusterError } from '../errors.js';

const is409 = (err: unknown): err is ClusterError => err instanceof ClusterError && err.status === 409;

/**
 * A 409 that one more try of the same write mends. AlreadyExists is an answer (the object is
 * there), not a race: a plain write stops at it, while a try that looks before it writes (see
 * below) takes any 409 as a reason to look again.
 */
const conflictNotExists = (err: unknown): err is ClusterError => is409(err) && err.reason !== 'AlreadyExists';

/**
 * Optimistic concurrency, as client-go's RetryOnConflict: runs `attempt` again while it is refused
 * with a 409, at most `tries` times. Each try re-reads and re-decides what it writes; `n` (0 on
 * the first try) tells a try that the one before it was refused, so it can first look at what
 * someone else wrote. Other errors pass through; after the last refused try, `exhausted` says why
 * we gave up (by default the last refusal itself).
 */
export async function retryOnConflict<T>(
  tries: number,
  attempt: (n: number) => Promise<T>,
  opts: { exhausted?: (last: ClusterError) => Error; retryable?: (err: unknown) => err is ClusterError } = {},
): Promise<T> {
  const retryable = opts.retryable ?? is409;
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (!retryable(err)) throw err;
      if (n + 1 >= tries) throw opts.exhausted ? opts.exhausted(err) : err;
    }
  }
}

/**
 * An idempotent write that states its whole intent (an apply, a delete, a create) is simply sent
 * again when a busy or flaky API server answers 409; an AlreadyExists is left to the caller.
 */
export const writeAgainOnConflict = <T>(write: () => Promise<T>): Promise<T> =>
  retryOnConflict(6, write, { retryable: conflictNotExists });
