/**
 * Retry policy for a flaky API server: capped exponential backoff with full jitter, Retry-After
 * honoured, within a total budget. Time and randomness come in from outside so tests are
 * deterministic.
 */
import type { Clock } from '../clock.js';

/** What the client takes from the clock: the time, waits it can abort, and jitter. */
export type ClientClock = Pick<Clock, 'now' | 'sleep' | 'random'>;

export interface RetryPolicy {
  baseMs: number;
  capMs: number;
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Never wait past this many milliseconds since the first attempt. */
  budgetMs: number;
  /** The longest Retry-After honoured; longer answers are clamped. */
  maxRetryAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  baseMs: 200,
  capMs: 5_000,
  maxAttempts: 8,
  budgetMs: 60_000,
  maxRetryAfterMs: 30_000,
};

/** Full jitter (AWS architecture blog): uniform in [0, min(cap, base * 2^retry)). */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The wait before retry number `retry` (0-based), or undefined when the policy says stop.
 * A server's Retry-After is a floor: the server knows better than our jitter when it can serve us.
 */
export function nextDelay(
  policy: RetryPolicy,
  retry: number,
  startedAt: number,
  clock: Pick<Clock, 'now' | 'random'>,
  retryAfterMs?: number,
): number | undefined {
  if (retry + 1 >= policy.maxAttempts) return undefined;
  let delay = backoffDelay(policy, retry, () => clock.random());
  if (retryAfterMs !== undefined) delay = Math.max(delay, Math.min(retryAfterMs, policy.maxRetryAfterMs));
  if (clock.now() + delay - startedAt > policy.budgetMs) return undefined;
  return delay;
}
