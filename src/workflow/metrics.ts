/**
 * Metric gates (`check-metrics`), pure: what a step measures, and what each measurement means.
 * The shell asks Prometheus (engine/prometheus.ts) when the step is due and hands the answer to
 * `measured`, which records it in the step's status and decides: keep measuring, passed, or
 * failed. A failed gate rolls its component back inside the same step (run.ts), so `status`
 * shows which gate failed and why while the rollback runs.
 *
 * Semantics (README "Metric gates"): the condition must hold for `duration` (KubeVela's
 * check-metrics: the first passing measurement starts the clock); it may fail for `failDuration`
 * before the step fails (the first failing one starts that clock; 0 fails at once). No data is no
 * verdict. A query Prometheus refuses (bad PromQL) fails the step at once; other errors
 * (unreachable, timeouts) fail it after CONSECUTIVE_ERROR_LIMIT in a row, as Argo Rollouts'
 * consecutiveErrorLimit. No verdict by the deadline fails it too.
 */
import type { BuiltinMetric, CheckMetricsProperties } from '../appfile/types.js';
import { formatDuration, parseDuration } from '../duration.js';
import { parseCondition, PLACEHOLDER, type Condition } from '../appfile/metric-syntax.js';

/** KubeVela's defaults for check-metrics. */
export const DEFAULT_DURATION = '5m';
export const DEFAULT_FAIL_DURATION = '2m';
/** vela-ts's: how often a gate measures, and the range of the built-in checks' rate(). */
export const DEFAULT_INTERVAL = '10s';
export const DEFAULT_WINDOW = '1m';
/** Istio's Prometheus addon (samples/addons/prometheus.yaml) serves here. */
export const DEFAULT_ENDPOINT = 'http://prometheus.istio-system.svc:9090';
/** Errors in a row (Prometheus unreachable, timed out, answering 5xx) before the gate fails. */
export const CONSECUTIVE_ERROR_LIMIT = 4;
/** Measurements kept in the step's status. */
export const SAMPLES_KEPT = 10;

// ---------------------------------------------------------------------------------------------
// conditions

export function holds(c: Condition, v: number): boolean {
  switch (c.op) {
    case '>=':
      return v >= c.value;
    case '>':
      return v > c.value;
    case '<=':
      return v <= c.value;
    case '<':
      return v < c.value;
    case '==':
      return v === c.value;
    case '!=':
      return v !== c.value;
  }
}

export const showCondition = (c: Condition): string => `${c.op} ${c.value}`;

// ---------------------------------------------------------------------------------------------
// what a step measures

/**
 * The PromQL of the built-in checks, over Istio's standard metrics as the destination proxy
 * reports them for the canary's Deployment (`destination_workload`), as Flagger's are.
 */
export function builtinQuery(metric: BuiltinMetric): string {
  const sel =
    'reporter="destination",destination_workload_namespace="{{namespace}}",destination_workload="{{canary}}"';
  switch (metric) {
    case 'request-success-rate':
      return (
        `sum(rate(istio_requests_total{${sel},response_code!~"5.*"}[{{window}}])) / ` +
        `sum(rate(istio_requests_total{${sel}}[{{window}}])) * 100`
      );
    case 'request-duration':
      return `histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{${sel}}[{{window}}])) by (le))`;
  }
}

/** What a built-in check's value is, for messages: `success rate 68.2%`, `p99 latency 912ms`. */
function describeValue(metric: BuiltinMetric | undefined, v: number): string {
  const n = Number.isInteger(v) ? String(v) : v.toPrecision(4).replace(/\.?0+$/, '');
  if (metric === 'request-success-rate') return `success rate ${n}%`;
  if (metric === 'request-duration') return `p99 latency ${n}ms`;
  return `value ${n}`;
}

/** The condition a step's value is held to: its own, or the built-in check's threshold range. */
export function stepCondition(p: CheckMetricsProperties): Condition[] {
  if (p.condition !== undefined) {
    const c = parseCondition(p.condition);
    return c ? [c] : [];
  }
  const out: Condition[] = [];
  if (p.thresholdRange?.min !== undefined) out.push({ op: '>=', value: p.thresholdRange.min });
  if (p.thresholdRange?.max !== undefined) out.push({ op: '<=', value: p.thresholdRange.max });
  return out;
}

export interface RolloutContext {
  namespace: string;
  component: string;
  /** The revision being rolled out, and the one it replaces (the target when none). */
  canary: string;
  stable: string;
}

/** The query a step runs, its placeholders filled. */
export function stepQuery(p: CheckMetricsProperties, r: RolloutContext): string {
  const template = p.query ?? builtinQuery(p.metric ?? 'request-success-rate');
  const values: Record<string, string> = { ...r, window: p.window ?? DEFAULT_WINDOW };
  return template.replace(PLACEHOLDER, (whole, name: string) => values[name] ?? whole);
}

export interface GateTiming {
  intervalMs: number;
  durationMs: number;
  failDurationMs: number;
}

export function gateTiming(p: CheckMetricsProperties): GateTiming {
  return {
    intervalMs: parseDuration(p.interval ?? DEFAULT_INTERVAL) ?? 10_000,
    durationMs: parseDuration(p.duration ?? DEFAULT_DURATION) ?? 300_000,
    failDurationMs: parseDuration(p.failDuration ?? DEFAULT_FAIL_DURATION) ?? 120_000,
  };
}

// ---------------------------------------------------------------------------------------------
// the record of a gate, in the step's status

export type SampleOutcome = 'pass' | 'fail' | 'no-data' | 'error';

export interface MetricSample {
  at: string;
  outcome: SampleOutcome;
  value?: number;
  /** For `error`: what went wrong, in plain words. */
  error?: string;
}

export interface MetricGate {
  /** The PromQL run, placeholders filled. */
  query: string;
  /** As shown: `>= 99`, or `>= 0.95 and <= 1`. */
  condition: string;
  /** Where the query goes (the URL as written; credentials never recorded). */
  endpoint: string;
  component: string;
  /** The revision judged, and the one a failed gate rolls back to. */
  revision: string;
  stable: string;
  metric?: BuiltinMetric;
  /** The latest measurements, oldest first (at most SAMPLES_KEPT). */
  samples: MetricSample[];
  passingSince?: string;
  failingSince?: string;
  /** Errors in a row. */
  errors: number;
  /** Set once decided. A failed gate rolls its component back before the step ends. */
  verdict?: 'passed' | 'failed';
  /** Why it failed, with the value and the condition. */
  reason?: string;
}

/** An endpoint as it may be shown and recorded: without user and password. */
export function shownEndpoint(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    // Not a URL, so no user or password to hide in it.
    return endpoint;
  }
}

export function newGate(p: CheckMetricsProperties, r: RolloutContext, endpoint: string): MetricGate {
  return {
    query: stepQuery(p, r),
    condition: stepCondition(p).map(showCondition).join(' and '),
    endpoint: shownEndpoint(endpoint),
    component: r.component,
    revision: r.canary,
    stable: r.stable,
    ...(p.metric ? { metric: p.metric } : {}),
    samples: [],
    errors: 0,
  };
}

/** A measured span in whole seconds (`2s`, `1m30s`): clocks tick by the interval, not the millisecond. */
function span(ms: number): string {
  return ms < 1000 ? formatDuration(ms) : formatDuration(Math.round(ms / 1000) * 1000);
}

/** When the next measurement is due: at once for the first, then every interval. */
export function dueAt(gate: MetricGate, timing: GateTiming): string | undefined {
  const last = gate.samples.at(-1);
  return last ? new Date(Date.parse(last.at) + timing.intervalMs).toISOString() : undefined;
}

/** What the shell got from Prometheus. */
export type Reading =
  | { kind: 'value'; value: number }
  | { kind: 'no-data'; why?: string }
  /** `permanent`: Prometheus refused the query itself (bad PromQL): retrying cannot help. */
  | { kind: 'error'; message: string; permanent?: boolean };

/**
 * Records one reading and decides. `deadline` (ISO) is when the step stops waiting for a
 * verdict; undefined waits for ever.
 */
export function measured(
  gate: MetricGate,
  p: CheckMetricsProperties,
  reading: Reading,
  now: string,
  deadline: string | undefined,
): MetricGate {
  if (gate.verdict) return gate;
  const timing = gateTiming(p);
  const conditions = stepCondition(p);
  const since = (iso: string) => Date.parse(now) - Date.parse(iso);
  let sample: MetricSample;
  if (reading.kind === 'value') {
    const ok = conditions.every((c) => holds(c, reading.value));
    sample = { at: now, outcome: ok ? 'pass' : 'fail', value: reading.value };
  } else if (reading.kind === 'no-data') {
    sample = { at: now, outcome: 'no-data', ...(reading.why ? { error: reading.why } : {}) };
  } else {
    sample = { at: now, outcome: 'error', error: reading.message };
  }
  const samples = [...gate.samples, sample].slice(-SAMPLES_KEPT);
  const { passingSince: _p, failingSince: _f, ...rest } = gate;
  const g: MetricGate = {
    ...rest,
    samples,
    errors: sample.outcome === 'error' ? gate.errors + 1 : 0,
    // Only a passing measurement continues (or starts) a passing streak; only a passing one ends a
    // failing streak: no data and errors say nothing good about the canary.
    ...(sample.outcome === 'pass' ? { passingSince: gate.passingSince ?? now } : {}),
    ...(sample.outcome !== 'pass' && gate.failingSince ? { failingSince: gate.failingSince } : {}),
    ...(sample.outcome === 'fail' ? { failingSince: gate.failingSince ?? now } : {}),
  };
  const value = (v: number) => describeValue(g.metric, v);
  if (sample.outcome === 'pass' && g.passingSince && since(g.passingSince) >= timing.durationMs)
    return { ...g, verdict: 'passed' };
  if (sample.outcome === 'fail' && g.failingSince && since(g.failingSince) >= timing.failDurationMs) {
    const held = timing.failDurationMs > 0 ? ` for ${span(since(g.failingSince))}` : '';
    return {
      ...g,
      verdict: 'failed',
      reason: `${value(sample.value ?? Number.NaN)} of ${g.revision} did not meet ${g.condition}${held}`,
    };
  }
  if (reading.kind === 'error' && reading.permanent) {
    return { ...g, verdict: 'failed', reason: `Prometheus refused the query: ${sample.error}` };
  }
  if (sample.outcome === 'error' && g.errors >= CONSECUTIVE_ERROR_LIMIT) {
    return {
      ...g,
      verdict: 'failed',
      reason: `${g.errors} measurements in a row failed: ${sample.error}`,
    };
  }
  if (deadline && now >= deadline) {
    const last = samples.findLast((s) => s.value !== undefined);
    const seen = last?.value !== undefined ? `; last ${value(last.value)} (${last.outcome})` : '; no data';
    return {
      ...g,
      verdict: 'failed',
      reason: `no verdict on ${g.revision} (${g.condition}) by the step's deadline${seen}`,
    };
  }
  return g;
}

/** What `plan` says a gate will do (it assumes the gate passes). */
export function gatePlan(gate: MetricGate, p: CheckMetricsProperties): string[] {
  const t = gateTiming(p);
  const what = gate.metric ?? 'the query';
  return [
    `measure ${what} of ${gate.revision} every ${formatDuration(t.intervalMs)} at ${gate.endpoint}: pass after ${gate.condition} holds ${formatDuration(t.durationMs)}, fail after ${formatDuration(t.failDurationMs)} without (assumed to pass here)`,
    `query: ${gate.query}`,
    `on failure: ${gate.component} rolls back to ${gate.stable} and the workflow fails`,
  ];
}

/** A line for `status` and the progress output: the last value against the condition, and the clocks. */
export function gateSummary(gate: MetricGate, p: CheckMetricsProperties, now: string): string {
  const timing = gateTiming(p);
  const last = gate.samples.at(-1);
  const since = (iso: string) => span(Math.max(0, Date.parse(now) - Date.parse(iso)));
  const what = (v: number) => describeValue(gate.metric, v);
  if (gate.verdict === 'failed') return `failed: ${gate.reason ?? ''}`;
  if (gate.verdict === 'passed') {
    const v = last?.value !== undefined ? `${what(last.value)}, ` : '';
    return `passed: ${v}${gate.condition} held for ${formatDuration(timing.durationMs)}`;
  }
  if (!last) return `measuring ${gate.revision}: ${gate.condition}`;
  if (last.outcome === 'no-data') return `no data yet for ${gate.revision} (needs ${gate.condition})`;
  if (last.outcome === 'error') return `measurement failed (${gate.errors} in a row): ${last.error ?? ''}`;
  const v = what(last.value ?? Number.NaN);
  if (last.outcome === 'pass')
    return `${v} meets ${gate.condition}, held ${since(gate.passingSince ?? last.at)} of ${formatDuration(timing.durationMs)}`;
  return `${v} misses ${gate.condition}, failing ${since(gate.failingSince ?? last.at)} of ${formatDuration(timing.failDurationMs)} allowed`;
}
