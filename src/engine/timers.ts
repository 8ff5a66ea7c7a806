import { stableStringify } from '../compile/stable.js';
import { LockedError, WorkflowError } from '../errors.js';
import type { EngineContext } from './context.js';
import { drive, type Outcome } from './drive.js';
import { stateWritten } from './record.js';
import type { KubeObject } from '../cluster/types.js';
import { acquireLock, type Lock } from './lock.js';
import { loadState, type Stored } from './store.js';

/**
 * Runs `body` holding the app's lease. The context it gets knows whether the lease is still ours,
 * so a driver that lost it stops at its next move.
 */
export async function withLock<T>(
  ctx: EngineContext,
  namespace: string,
  app: string,
  body: (locked: EngineContext, lock: Pick<Lock, 'untouchedSinceSeen'>) => Promise<T>,
  seen?: { lease: KubeObject | undefined },
): Promise<T> {
  const lock = await acquireLock(ctx, namespace, app, seen);
  // Not a LockedError: this run did drive, and its stopping midway is a failure (exit 1), also
  // when the body ended on its own after the lease was lost (it may have seen another's edits).
  const assertLocked = () => {
    if (lock.lost) throw new WorkflowError(`lost the lock of ${app} (${lock.lost}); stopped driving it`);
  };
  try {
    const result = await body({ ...ctx, assertLocked }, lock);
    assertLocked();
    return result;
  } finally {
    await lock.release();
  }
}

/**
 * Drives under the lock, and waits out timed suspends WITHOUT it, so `workflow resume`, `suspend`
 * or `rollback` from another terminal can act during the pause. When the timer is up, the
 * workflow continues only if nobody changed it meanwhile.
 */
export async function driveWithTimers(
  ctx: EngineContext,
  namespace: string,
  app: string,
  first: Outcome | ((locked: EngineContext, lock: Pick<Lock, 'untouchedSinceSeen'>) => Promise<Outcome>),
  seen?: { lease: KubeObject | undefined },
): Promise<Outcome> {
  let outcome = typeof first === 'function' ? await withLock(ctx, namespace, app, first, seen) : first;
  while (outcome.kind === 'suspended' && outcome.resumeAt) {
    const resumeAt = outcome.resumeAt;
    const paused = outcome.state;
    const stillPaused = (s: Stored | undefined): boolean =>
      s !== undefined &&
      s.state.specHash === paused.specHash &&
      s.state.workflow.phase === 'suspended' &&
      s.state.workflow.resumeAt === resumeAt;
    let fresh = await loadState(ctx.cluster, namespace, app);
    let told = false;
    for (;;) {
      if (!fresh || !stillPaused(fresh)) return { kind: 'stopped', state: fresh?.state ?? paused };
      const ms = Date.parse(resumeAt) - ctx.clock.now();
      if (ms <= 0) break;
      if (!told) ctx.report.waiting(`paused until ${resumeAt}`);
      told = true;
      // A `workflow suspend`, `resume`, `rollback` or a new spec from elsewhere ends the wait at once.
      const woke = await pauseUnlessWritten(ctx, namespace, app, fresh.resourceVersion, ms);
      fresh = await loadState(ctx.cluster, namespace, app);
      if (woke === 'elapsed') break;
    }
    if (!fresh || !stillPaused(fresh)) return { kind: 'stopped', state: fresh?.state ?? paused };
    const due = fresh;
    try {
      outcome = await withLock(ctx, namespace, app, async (locked) => {
        const again = (await loadState(ctx.cluster, namespace, app)) ?? due;
        // Looked at again under the lock: someone may have acted between our look and the lock.
        if (stableStringify(again.state) !== stableStringify(due.state))
          return { kind: 'stopped', state: again.state };
        return drive(locked, again);
      });
    } catch (err) {
      // Someone else drives it now (a resume by hand, or another run waiting on the same pause):
      // report where it stands, not the pause we saw.
      if (err instanceof LockedError) {
        const now = await loadState(ctx.cluster, namespace, app);
        return { kind: 'stopped', state: now?.state ?? due.state };
      }
      throw err;
    }
  }
  return outcome;
}

/**
 * Waits `ms`, or less when the app's state is written meanwhile (watched, not polled). Should the
 * watch fail, the timer alone decides.
 */
async function pauseUnlessWritten(
  ctx: EngineContext,
  namespace: string,
  app: string,
  resourceVersion: string,
  ms: number,
): Promise<'elapsed' | 'written'> {
  const stop = new AbortController();
  try {
    return await Promise.race([
      ctx.clock.sleep(ms, stop.signal).then(() => 'elapsed' as const),
      stateWritten(ctx, namespace, app, resourceVersion, stop.signal).then(() => 'written' as const),
    ]);
  } finally {
    stop.abort();
  }
}
