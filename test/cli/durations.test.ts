import { systemClock } from '../../src/clock.js';
import { parseTimeout } from '../../src/cli/session.js';
import { formatDuration, parseDuration } from '../../src/duration.js';

describe('durations', () => {
  it('GIVEN Go-style durations THEN one grammar parses them, and garbage is no duration (never 0)', () => {
    expect(['30s', '5m', '1h30m', '500ms', '1.5h'].map(parseDuration)).toEqual([
      30_000, 300_000, 5_400_000, 500, 5_400_000,
    ]);
    expect(['', '5', '5x', 'm5', '1h 30m', '-5s'].map(parseDuration)).toEqual(Array(6).fill(undefined));
    expect([600_000, 90_000, 400, 2_160_000_000].map(formatDuration)).toEqual([
      '10m',
      '90s',
      '400ms',
      '36000m',
    ]);
  });

  it('GIVEN --timeout 0 THEN there is no limit, as kubectl rollout status --timeout=0; a pause of 0 is none', () => {
    expect(parseTimeout('0', 600_000)).toBe(Number.POSITIVE_INFINITY);
    expect(parseTimeout('0s', 600_000)).toBe(Number.POSITIVE_INFINITY);
    expect(parseTimeout('0', 5000, '--traffic-settle', 'zero')).toBe(0);
    expect(parseTimeout('600h', 600_000)).toBe(2_160_000_000);
    expect(parseTimeout('90', 600_000)).toBe(90_000);
    expect(() => parseTimeout('ten', 600_000)).toThrow(
      '--timeout "ten" is not a duration such as 90s, 10m or 1h',
    );
  });

  it('GIVEN a sleep past what a Node timer holds (2^31 ms, about 24.8 days) THEN it does not end early', async () => {
    // Node clamps such a timer to 1 ms: an unchunked 600 h pause ended at once and spun.
    const stop = new AbortController();
    let ended = false;
    const long = systemClock.sleep(2 ** 31 + 1000, stop.signal).then(
      () => (ended = true),
      () => undefined,
    );
    await systemClock.sleep(20);
    expect(ended).toBe(false);
    stop.abort();
    await long;
    expect(ended).toBe(false);
  });
});
