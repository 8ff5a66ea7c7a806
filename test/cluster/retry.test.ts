import { backoffDelay, defaultRetryPolicy, nextDelay, parseRetryAfter } from '../../src/cluster/retry.js';

const almostOne = () => 0.999999;

describe('backoff schedule', () => {
  it('doubles from 200 ms and is capped at 5 s (full jitter: the ceiling is the most it waits)', () => {
    const ceilings = Array.from({ length: 8 }, (_, i) => backoffDelay(defaultRetryPolicy, i, almostOne) + 1);
    expect(ceilings).toEqual([200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
  });

  it('jitter can be as small as zero', () => {
    expect(backoffDelay(defaultRetryPolicy, 5, () => 0)).toBe(0);
  });

  it('stops after maxAttempts attempts in all', () => {
    const clock = { now: () => 0, random: () => 0.5 };
    const delays = Array.from({ length: 9 }, (_, i) => nextDelay(defaultRetryPolicy, i, 0, clock));
    expect(delays).toEqual([100, 200, 400, 800, 1600, 2500, 2500, undefined, undefined]);
  });

  it('honours Retry-After as a floor, clamped to 30 s', () => {
    const clock = { now: () => 0, random: () => 0.5 };
    expect(nextDelay(defaultRetryPolicy, 0, 0, clock, 3000)).toBe(3000);
    expect(nextDelay(defaultRetryPolicy, 0, 0, clock, 3_600_000)).toBe(30_000);
  });

  it('stops when the wait would pass the time budget', () => {
    const clock = { now: () => 59_000, random: () => 0.5 };
    expect(nextDelay(defaultRetryPolicy, 4, 0, clock)).toBeUndefined();
    expect(nextDelay(defaultRetryPolicy, 0, 0, clock)).toBe(100);
  });
});

describe('Retry-After', () => {
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('2', 0)).toBe(2000);
    expect(parseRetryAfter(' 0 ', 0)).toBe(0);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter(undefined, 0)).toBeUndefined();
  });
});
