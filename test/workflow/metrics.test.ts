import type { CheckMetricsProperties, WorkflowStep } from '../../src/appfile/types.js';
import { parseCondition } from '../../src/appfile/metric-syntax.js';
import {
  begin,
  drainCanary,
  gateDeadline,
  next,
  recordReading,
  settled,
  simulate,
  type AppState,
  type Transition,
} from '../../src/workflow/index.js';
import {
  builtinQuery,
  measured,
  newGate,
  type MetricGate,
  type Reading,
} from '../../src/workflow/metrics.js';
import { bookinfo, canary, gate, V3 } from '../fixtures/apps.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

const check = (properties: CheckMetricsProperties, timeout?: string): WorkflowStep => ({
  name: 'check',
  type: 'check-metrics',
  properties,
  ...(timeout ? { timeout } : {}),
});
const successRate: CheckMetricsProperties = {
  metric: 'request-success-rate',
  thresholdRange: { min: 99 },
  interval: '10s',
  duration: '30s',
  failDuration: '20s',
};

const deployed = settled(bookinfo(), 'default', undefined, at(0));
function started(step: WorkflowStep, after: WorkflowStep[] = [gate('approve')]): AppState {
  const app = bookinfo({
    reviewsImage: V3,
    batches: [1, 1],
    workflow: [canary('canary', 0, { stable: 90, canary: 10 }), step, ...after],
  });
  return begin(app, 'default', deployed, at(0));
}

/** Drives `next`, answering each measurement with the next of `readings` (one per interval). */
function run(
  start: AppState,
  readings: Reading[],
  opts: { deadline?: (s: AppState) => string | undefined; unready?: boolean } = {},
): { state: AppState; last: Transition; notes: string[]; measured: number } {
  let s = start;
  let clock = 0;
  let used = 0;
  const notes: string[] = [];
  for (let guard = 0; guard < 200; guard++) {
    const t = next(s, at(clock));
    s = t.state;
    if (t.effect.kind === 'realize') {
      // Only the gate's own moves (its rollback), not the canary step's before it.
      if (t.step === 1) notes.push(t.effect.note);
      continue;
    }
    if (t.effect.kind !== 'measure') return { state: s, last: t, notes, measured: used };
    if (t.effect.at) clock = (Date.parse(t.effect.at) - T0) / 1000;
    const reading = readings[used];
    // Out of readings: stop where a driver killed before its next measurement would.
    if (!reading) return { state: s, last: t, notes, measured: used };
    used++;
    s = recordReading(s, t.step, reading, at(clock), {
      endpoint: 'http://prometheus.istio-system.svc:9090',
      ...(opts.deadline?.(s) ? { deadline: opts.deadline(s) } : {}),
    });
    if (opts.unready && s.workflow.steps[t.step]?.metrics?.verdict === 'failed')
      s = drainCanary(s, 'reviews');
  }
  throw new Error('did not settle');
}

const value = (v: number): Reading => ({ kind: 'value', value: v });
const gateOf = (s: AppState): MetricGate => s.workflow.steps[1]!.metrics!;

describe('metric gates: conditions', () => {
  it.each([
    ['>=0.95', { op: '>=', value: 0.95 }],
    [' < 500 ', { op: '<', value: 500 }],
    ['==1', { op: '==', value: 1 }],
    ['!=-2e3', { op: '!=', value: -2000 }],
  ])('reads %j', (text, want) => expect(parseCondition(text)).toEqual(want));
  it.each(['>= ', '0.95', '=>1', '>=0.9 & <1', '>= abc', ''])('refuses %j', (text) =>
    expect(parseCondition(text)).toBeUndefined(),
  );
});

describe('metric gates: what a gate measures', () => {
  it('GIVEN the built-in success rate THEN it queries the canary Deployment of the namespace over the window', () => {
    const g = newGate(
      successRate,
      { namespace: 'shop', component: 'reviews', canary: 'reviews-v2', stable: 'reviews-v1' },
      'http://u:secret@prom:9090',
    );
    expect(g.query).toBe(
      'sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="shop",destination_workload="reviews-v2",response_code!~"5.*"}[1m])) / ' +
        'sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="shop",destination_workload="reviews-v2"}[1m])) * 100',
    );
    expect(g.condition).toBe('>= 99');
    // Credentials are never recorded.
    expect(g.endpoint).toBe('http://prom:9090');
  });

  it('GIVEN request-duration with a window THEN it is the p99 of the histogram, held to max', () => {
    const g = newGate(
      { metric: 'request-duration', thresholdRange: { max: 500 }, window: '30s' },
      { namespace: 'default', component: 'reviews', canary: 'reviews-v2', stable: 'reviews-v1' },
      'http://p:9090',
    );
    expect(g.query).toBe(
      'histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="default",destination_workload="reviews-v2"}[30s])) by (le))',
    );
    expect(g.condition).toBe('<= 500');
    expect(builtinQuery('request-duration')).toContain('{{canary}}');
  });

  it('GIVEN a query with placeholders THEN they are filled from the rollout', () => {
    const g = newGate(
      {
        query: 'x{ns="{{ namespace }}",w="{{canary}}",s="{{stable}}",c="{{component}}"}[{{window}}]',
        condition: '<1',
      },
      { namespace: 'n', component: 'reviews', canary: 'reviews-v2', stable: 'reviews-v1' },
      'http://p:9090',
    );
    expect(g.query).toBe('x{ns="n",w="reviews-v2",s="reviews-v1",c="reviews"}[1m]');
  });
});

describe('metric gates: the verdict over time', () => {
  it('GIVEN a gate after the 10% step WHEN the condition holds for duration THEN it passes and the workflow goes on to the approval', () => {
    const { state, measured } = run(started(check(successRate)), [
      value(99.5),
      value(100),
      value(99.2),
      value(99.9),
    ]);
    // Measured at 0, 10, 20, 30 s: the streak began at 0 and has held 30 s at the fourth.
    expect(measured).toBe(4);
    expect(state.workflow.steps.map((s) => s.phase)).toEqual(['succeeded', 'succeeded', 'suspended']);
    expect(gateOf(state).verdict).toBe('passed');
    expect(gateOf(state).samples.map((s) => [s.at, s.value, s.outcome])).toEqual([
      [at(0), 99.5, 'pass'],
      [at(10), 100, 'pass'],
      [at(20), 99.2, 'pass'],
      [at(30), 99.9, 'pass'],
    ]);
  });

  it('GIVEN a failing measurement in a passing streak THEN the streak starts again', () => {
    const { measured, state } = run(started(check(successRate)), [
      value(99.5),
      value(99.6),
      value(90),
      value(99.1),
      value(99.2),
      value(99.3),
      value(99.4),
    ]);
    expect(measured).toBe(7);
    expect(gateOf(state).verdict).toBe('passed');
  });

  it('GIVEN the canary fails for failDuration THEN the gate fails, the canary is rolled back stable-first, and the workflow fails naming the value', () => {
    const { state, last, notes, measured } = run(started(check(successRate)), [
      value(70.2),
      value(69.8),
      value(70.1),
    ]);
    // 0 s: first failure; 20 s: failing for failDuration.
    expect(measured).toBe(3);
    expect(last.effect.kind).toBe('finish');
    expect(state.workflow.phase).toBe('failed');
    expect(state.workflow.steps.map((s) => s.phase)).toEqual(['succeeded', 'failed', 'skipped']);
    expect(state.workflow.message).toBe(
      'step check failed: success rate 70.1% of reviews-v2 did not meet >= 99 for 20s; rolled reviews back (reviews-v1 100%)',
    );
    expect(state.placement.reviews?.traffic).toEqual([{ revision: 'reviews-v1', weight: 100 }]);
    expect(state.placement.reviews?.replicas).toEqual({ 'reviews-v1': 2 });
    expect(state.stable.reviews).toBe('reviews-v1');
    // The stable revision grows back before it takes the traffic; the canary goes last.
    expect(notes).toEqual([
      'scale reviews-v1 back to 2 before it takes all the traffic',
      'route 100% to reviews-v1',
      'remove subsets reviews-v2 from DestinationRule reviews',
      'remove reviews-v2',
    ]);
    expect(state.drainFirst).toBeUndefined();
  });

  it('GIVEN a failed gate whose canary has no ready pod THEN traffic leaves the canary first', () => {
    const { notes } = run(started(check(successRate)), [value(1), value(1), value(1)], { unready: true });
    expect(notes[0]).toBe('route 100% to reviews-v1');
  });

  it('GIVEN failDuration 0s THEN the first failing measurement fails the gate', () => {
    const { state, measured } = run(started(check({ ...successRate, failDuration: '0s' })), [value(98)]);
    expect(measured).toBe(1);
    expect(state.workflow.phase).toBe('failed');
    expect(state.workflow.message).toContain('success rate 98% of reviews-v2 did not meet >= 99;');
  });

  it('GIVEN no data THEN there is no verdict: it never passes, and fails at the deadline', () => {
    const noData: Reading = { kind: 'no-data', why: 'the query returned no series' };
    const start = started(check(successRate, '1m'));
    const { state, measured } = run(start, Array(20).fill(noData), {
      deadline: (s) => gateDeadline(s, 1, 600_000),
    });
    // The step's own timeout (1m) wins over the command's; measured at 0, 10, …, 60 s.
    expect(measured).toBe(7);
    expect(state.workflow.phase).toBe('failed');
    expect(state.workflow.message).toContain(
      "no verdict on reviews-v2 (>= 99) by the step's deadline; no data",
    );
  });

  it('GIVEN a deadline shorter than duration THEN the gate still gets duration plus one interval', () => {
    const atGate = (step: WorkflowStep) => run(started(step), []).state;
    expect(gateDeadline(atGate(check(successRate, '5s')), 1, 0)).toBe(at(40));
    // No timeout of its own: the command's --timeout, and 0 waits for ever.
    expect(gateDeadline(atGate(check(successRate)), 1, 120_000)).toBe(at(120));
    expect(gateDeadline(atGate(check(successRate)), 1, 0)).toBeUndefined();
  });

  it('GIVEN Prometheus errors THEN the gate fails after 4 in a row, and a value in between resets the count', () => {
    const err: Reading = {
      kind: 'error',
      message: 'cannot reach Prometheus at http://p:9090 (connection refused)',
    };
    const { state, measured } = run(started(check(successRate)), [
      err,
      err,
      err,
      value(99.5),
      err,
      err,
      err,
      err,
    ]);
    expect(measured).toBe(8);
    expect(state.workflow.phase).toBe('failed');
    expect(state.workflow.message).toContain(
      '4 measurements in a row failed: cannot reach Prometheus at http://p:9090 (connection refused)',
    );
  });

  it('GIVEN a query Prometheus refuses THEN the gate fails at once', () => {
    const bad: Reading = { kind: 'error', message: '1:5: parse error: unexpected "}"', permanent: true };
    const { state, measured } = run(started(check({ query: 'up{', condition: '>0' })), [bad]);
    expect(measured).toBe(1);
    expect(state.workflow.message).toContain('Prometheus refused the query: 1:5: parse error');
  });

  it('GIVEN a gate mid-measurement WHEN a new driver continues THEN the window goes on from the recorded clocks', () => {
    const half = run(started(check(successRate)), [value(99.5), value(99.6)]).state;
    expect(gateOf(half).passingSince).toBe(at(0));
    const t = next(half, at(15));
    expect(t.effect).toMatchObject({ kind: 'measure', at: at(20) });
  });

  it('GIVEN plan THEN a gate is shown with its query and assumed to pass', () => {
    const { steps, final } = simulate(started(check(successRate)), at(0));
    const gateStep = steps.find((st) => st.name === 'check');
    expect(gateStep?.phase).toBe('succeeded');
    expect(gateStep?.moves).toEqual([
      'measure request-success-rate of reviews-v2 every 10s at http://prometheus.istio-system.svc:9090: pass after >= 99 holds 30s, fail after 20s without (assumed to pass here)',
      expect.stringMatching(/^query: sum\(rate\(istio_requests_total\{.*destination_workload="reviews-v2"/),
      'on failure: reviews rolls back to reviews-v1 and the workflow fails',
    ]);
    expect(final.workflow.phase).toBe('succeeded');
  });

  it('GIVEN a spec that rolls nothing new THEN its metric gate is skipped like its canary steps', () => {
    const app = bookinfo({ workflow: [canary('canary', 0, { stable: 90, canary: 10 }), check(successRate)] });
    const s = begin(app, 'default', deployed, at(0));
    expect(s.workflow.steps.map((st) => st.phase)).toEqual(['skipped', 'skipped']);
  });

  it('measured() keeps at most 10 samples', () => {
    let g = newGate(
      successRate,
      { namespace: 'n', component: 'reviews', canary: 'reviews-v2', stable: 'reviews-v1' },
      'http://p:9090',
    );
    for (let i = 0; i < 15; i++)
      g = measured(g, { ...successRate, duration: '1h' }, value(99.5), at(i * 10), undefined);
    expect(g.samples).toHaveLength(10);
    expect(g.samples[0]?.at).toBe(at(50));
    expect(g.verdict).toBeUndefined();
  });
});
